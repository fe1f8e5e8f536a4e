'use client';

import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Button } from '@/components/ui/Button';
import { Dialog } from '@/components/ui/Dialog';
import { FormError, TextField } from '@/components/ui/Field';
import { apiBase, defaultApiBase, defaultHttpBase, rtmpPort as rtmpPortOf, saveSettings, useSettings } from '@/lib/settings';

export function SettingsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const s = useSettings();
  return open ? <SettingsForm key={String(open)} current={s} onClose={onClose} /> : null;
}

function SettingsForm({ current, onClose }: { current: ReturnType<typeof useSettings>; onClose: () => void }) {
  const qc = useQueryClient();
  const [api, setApi] = useState(current.apiBase || apiBase(current));
  const [http, setHttp] = useState(current.httpBase);
  const [rtmpPort, setRtmpPort] = useState(current.rtmpPort ? String(current.rtmpPort) : '');
  const [username, setUsername] = useState(current.username);
  const [password, setPassword] = useState(current.password);
  const [error, setError] = useState<string | null>(null);

  const submit = () => {
    const a = api.trim();
    if (a && !/^https?:\/\/[^/\s]+/i.test(a)) {
      setError('The API address must look like http://host:1985');
      return;
    }
    if (http.trim() && !/^https?:\/\/[^/\s]+/i.test(http.trim())) {
      setError('The media HTTP address must look like http://host:8080');
      return;
    }
    const port = Number(rtmpPort);
    saveSettings({
      apiBase: a === defaultApiBase() ? '' : a,
      httpBase: http.trim(),
      // empty (or not a port): the port the server reports
      rtmpPort: Number.isInteger(port) && port > 0 && port < 65536 ? port : 0,
      username: username.trim(),
      password,
    });
    void qc.invalidateQueries();
    onClose();
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title="Settings"
      description="Where the console finds the tsrs API. Stored in this browser only."
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="settings-form">
            Save
          </Button>
        </>
      }
    >
      <form
        id="settings-form"
        className="grid gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <TextField
          label="API address"
          value={api}
          onChange={(e) => setApi(e.target.value)}
          placeholder={defaultApiBase()}
          hint={`HTTP API and WebRTC signalling (default ${defaultApiBase()}). Open the console with ?api=http://host:port to override once.`}
          inputMode="url"
          autoComplete="url"
        />
        <TextField
          label="Media HTTP address"
          value={http}
          onChange={(e) => setHttp(e.target.value)}
          placeholder={defaultHttpBase()}
          hint="Used for HTTP-FLV and HLS play URLs. Empty = same host, port 8080."
          inputMode="url"
        />
        <TextField
          label="RTMP port"
          value={rtmpPort}
          onChange={(e) => setRtmpPort(e.target.value)}
          placeholder={String(rtmpPortOf({ ...current, rtmpPort: 0 }))}
          hint="Used for RTMP URLs. Empty = the server's RTMP port."
          inputMode="numeric"
          className="max-w-[10rem]"
        />
        <fieldset className="grid grid-cols-2 gap-3 rounded-md border border-border p-3">
          <legend className="px-1 text-xs font-medium text-muted">HTTP API credentials (Basic auth, if enabled)</legend>
          <TextField label="User name" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
          <TextField label="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        </fieldset>
        <FormError error={error} />
      </form>
    </Dialog>
  );
}
