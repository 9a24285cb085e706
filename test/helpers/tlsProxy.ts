/**
 * A TLS endpoint in front of a plaintext Temporal frontend, like Temporal Cloud's or a secured
 * cluster's ingress: Debian's nginx terminates TLS with a certificate from a throwaway CA and lets
 * a gRPC call through only with `authorization: Bearer <apiKey>` (what the SDK sends for an API key).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nginxBinary } from '../../src/temporal/nginx';
import { makeCertificates } from './certificates';
import { freePort } from './ports';
import { waitFor } from './processes';
import net from 'node:net';

export interface TlsProxy {
  /** host:port of the TLS endpoint. */
  address: string;
  /** PEM of the CA that signed the endpoint's certificate (for `localhost` and 127.0.0.1). */
  caPath: string;
  stop(): Promise<void>;
}

export async function startTlsProxy(upstream: string, apiKey: string): Promise<TlsProxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-proxy-'));
  mkdirSync(path.join(dir, 'tmp'));
  const { ca, cert, key } = makeCertificates(dir);
  const port = await freePort();
  const conf = `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
error_log stderr warn;
pid ${dir}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location / {
      if ($http_authorization != "Bearer ${apiKey}") { return 401; }
      grpc_pass grpc://${upstream};
      # Task polls are long polls (about a minute).
      grpc_read_timeout 300s;
      grpc_send_timeout 300s;
    }
  }
}
`;
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = spawn(nginxBinary(), ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(
    () =>
      new Promise<true | undefined>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(undefined));
      }),
    { timeoutMs: 10_000, what: () => `nginx on ${port}: ${stderr}` },
  );
  return {
    address: `127.0.0.1:${port}`,
    caPath: ca,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) resolve();
        child.once('exit', () => resolve());
        child.kill('SIGQUIT');
      }),
  };
}
