// npm run codec-server: the codec server for the Temporal UI and CLI, with the keys of
// the environment (BLUEGREEN_CODEC_KEY or BLUEGREEN_CODEC_KEY_FILE, BLUEGREEN_CODEC_KEY_ID,
// BLUEGREEN_CODEC_OLD_KEYS; see lib/codec.ts).
//   BLUEGREEN_CODEC_PORT          port (default 8081)
//   BLUEGREEN_CODEC_HOST          address to listen on (default 127.0.0.1)
//   BLUEGREEN_CODEC_CORS_ORIGINS  the UI's origins, comma-separated (default http://localhost:8233,http://127.0.0.1:8233)
//   BLUEGREEN_CODEC_TOKEN         when set, callers must send Authorization: Bearer <token>
import { codecFromEnv } from './codec';
import { startCodecServer } from './codec-server';

async function main(): Promise<void> {
  const env = process.env;
  const codec = codecFromEnv(env);
  if (!codec) throw new Error('payload encryption is off: set BLUEGREEN_CODEC_KEY (or BLUEGREEN_CODEC_KEY_FILE) to the key the workers use');
  const port = Number(env.BLUEGREEN_CODEC_PORT ?? 8081);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`BLUEGREEN_CODEC_PORT ${JSON.stringify(env.BLUEGREEN_CODEC_PORT)} is not a port`);
  const origins = (env.BLUEGREEN_CODEC_CORS_ORIGINS ?? 'http://localhost:8233,http://127.0.0.1:8233').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
  const server = await startCodecServer({ codec, port, host: env.BLUEGREEN_CODEC_HOST, origins, token: env.BLUEGREEN_CODEC_TOKEN || undefined, log: (l) => console.error(l) });
  console.log(`codec server: ${server.url} (POST /decode, /encode; CORS for ${origins.join(', ')}${env.BLUEGREEN_CODEC_TOKEN ? '; bearer token required' : ''})`);
  console.log(`  Temporal UI: temporal server start-dev --ui-codec-endpoint ${server.url}, or the UI's Codec Server setting`);
  console.log(`  Temporal CLI: temporal workflow show --workflow-id ID --codec-endpoint ${server.url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`codec server: ${(err as Error).message}`);
  process.exit(1);
});
