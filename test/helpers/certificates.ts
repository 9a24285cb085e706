/** Throwaway X.509 material for TLS tests, made with the openssl CLI (Node cannot sign certificates). */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

export interface Certificates {
  /** The CA that signed both certificates (PEM path). */
  ca: string;
  /** Server certificate for localhost and 127.0.0.1, and its key. */
  cert: string;
  key: string;
  /** A client certificate signed by the same CA, and its key (for mTLS). */
  clientCert: string;
  clientKey: string;
}

export function makeCertificates(dir: string): Certificates {
  const days = ['-days', '2'];
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      ...days,
      '-subj',
      '/CN=test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'interface-engine'],
  ] as const) {
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        ...days,
        ...(name === 'server' ? ['-extfile', 'san.ext'] : []),
        '-out',
        `${name}.pem`,
      ],
      dir,
    );
  }
  const at = (file: string): string => path.join(dir, file);
  return {
    ca: at('ca.pem'),
    cert: at('server.pem'),
    key: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
  };
}
