'use client';

import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { FormError, TextField } from '@/components/ui/Field';
import { describeError, probeAuth } from '@/lib/api';
import { apiBase, getSettings, saveSettings, setAuthRequired, useAuthRequired } from '@/lib/settings';

/** Shown whenever the API answers 401; stores the credentials like the Settings dialog. */
export function LoginDialog() {
  const required = useAuthRequired();
  const qc = useQueryClient();
  const [username, setUsername] = useState(() => (typeof window === 'undefined' ? '' : getSettings().username));
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const hadCredentials = typeof window !== 'undefined' && !!getSettings().username;

  return (
    <Dialog
      open={required}
      onClose={() => setAuthRequired(false)}
      title="Sign in to the tsrs API"
      description={
        <>
          <span className="font-mono text-xs">{apiBase()}</span> asks for a user name and password (http_api.auth).
        </>
      }
      footer={
        <Button variant="primary" type="submit" form="login-form" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </Button>
      }
    >
      <form
        id="login-form"
        className="grid gap-3"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          const before = getSettings();
          saveSettings({ username: username.trim(), password });
          try {
            await probeAuth();
            setAuthRequired(false);
            void qc.invalidateQueries();
          } catch (err) {
            saveSettings({ username: before.username, password: before.password });
            setAuthRequired(true);
            setError(describeError(err) === 'The API needs a user name and password' ? 'Wrong user name or password.' : describeError(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        {hadCredentials && !error && <p className="text-sm text-warn">The saved credentials were refused.</p>}
        <TextField label="User name" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        <TextField label="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        <FormError error={error} />
      </form>
    </Dialog>
  );
}
