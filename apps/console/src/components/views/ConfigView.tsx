'use client';

import { useState } from 'react';
import { Badge } from '@/components/ui/Badge';
import { Button } from '@/components/ui/Button';
import { Card } from '@/components/ui/Card';
import { PageHeader } from '@/components/ui/PageHeader';
import { ErrorState, Loading } from '@/components/ui/States';
import { copyText, toast } from '@/components/ui/Toast';
import { ApiError, api, describeError } from '@/lib/api';
import { configText } from '@/lib/config-info';
import { ErrorCode } from '@/lib/types';
import { useConfig, useRawApi, useRtcEnabled } from '@/hooks/useServer';

export function ConfigView() {
  const { data, error, isPending, refetch, isFetching } = useConfig();
  const raw = useRawApi();
  // Reload over the API works only with raw_api { enabled on; allow_reload on; }: offer it then only.
  const canReload = raw.data?.enabled === true && raw.data.allow_reload === true;
  const [reloading, setReloading] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const reload = async () => {
    setReloading(true);
    setResult(null);
    try {
      await api.reload();
      setResult({ ok: true, text: 'The server reloaded its config.' });
      toast('Config reloaded');
      void refetch();
    } catch (e) {
      const text =
        e instanceof ApiError && e.code === ErrorCode.RawApiDisabled
          ? 'Reload is disabled: set raw_api { enabled on; allow_reload on; } in the config to allow it over the API.'
          : describeError(e);
      setResult({ ok: false, text });
    } finally {
      setReloading(false);
    }
  };

  const shown = data ? configText(data.body) : null;
  // what the server serves, not what rtc_server in the text says (tsrs reads it but serves no WebRTC yet)
  const rtc = useRtcEnabled();

  return (
    <>
      <PageHeader
        title="Config"
        description="The running configuration (read-only)"
        actions={
          <>
            <Button size="sm" onClick={() => refetch()} disabled={isFetching}>
              {isFetching ? 'Loading…' : 'Refresh'}
            </Button>
            {canReload && (
              <Button size="sm" variant="primary" onClick={reload} disabled={reloading}>
                {reloading ? 'Reloading…' : 'Reload config'}
              </Button>
            )}
          </>
        }
      />
      {raw.data && !canReload && (
        <p className="mb-3 text-sm text-muted" data-testid="reload-off">
          Reload over the API is off: it needs <span className="font-mono">raw_api {'{ enabled on; allow_reload on; }'}</span> in{' '}
          <span className="font-mono">http_api</span>. Send the server SIGHUP to reload instead.
        </p>
      )}
      {result && (
        <p
          role={result.ok ? 'status' : 'alert'}
          className={`mb-3 rounded-md border px-3 py-2 text-sm ${result.ok ? 'border-ok/40 bg-ok/10 text-ok' : 'border-danger/40 bg-danger/10 text-danger'}`}
        >
          {result.text}
        </p>
      )}
      <Card
        title={data ? <span className="font-mono text-xs font-normal text-muted">{data.source}</span> : 'Configuration'}
        actions={
          shown && (
            <>
              {rtc.on !== null && (
                <Badge tone={rtc.on ? 'ok' : 'neutral'} title={rtc.reason || undefined}>
                  WebRTC {rtc.on ? 'on' : rtc.reason.startsWith('WebRTC is not available') ? 'not available' : 'off'}
                </Badge>
              )}
              <Button size="sm" onClick={() => copyText(shown.text, 'config')}>
                Copy
              </Button>
            </>
          )
        }
      >
        {isPending ? (
          <Loading label="Loading config…" />
        ) : error ? (
          <ErrorState error={error} what="the config" onRetry={() => refetch()} />
        ) : shown ? (
          <>
            {data?.source.includes('raw') && (
              <p className="border-b border-border px-4 py-2 text-xs text-muted">
                This server has no <span className="font-mono">/api/v1/config</span> route; SRS&apos;s raw API only reports its own switches.
              </p>
            )}
            <pre tabIndex={0} aria-label="Configuration text" className="max-h-[70vh] overflow-auto p-4 font-mono text-xs leading-relaxed">
              {shown.text}
            </pre>
          </>
        ) : null}
      </Card>
    </>
  );
}
