// A tiny round-robin HTTP reverse proxy for the scale-out tests (node:http
// only). Every request — not every connection — goes to the next upstream,
// so one browser's keep-alive connection still spreads over all of them.
//
//   * method, path, headers and body are forwarded as they came; Host and
//     Origin stay what the browser sent (the app compares Origin with its
//     PUBLIC_URL, which is this proxy's URL);
//   * the client's address is appended to X-Forwarded-For (the servers run
//     with TRUSTED_PROXY_HEADER=x-forwarded-for, as a real deployment would);
//   * responses stream back with an `X-Upstream: <index>` header naming the
//     process that answered (0-based), so a test can see where each went;
//   * GET /__upstreams answers the per-upstream request counts as JSON (this
//     path is the proxy's own and never forwarded); the counts are also
//     printed when the proxy stops.
//
// Usage: node support/round-robin.mjs LISTEN_PORT UPSTREAM_PORT...
import http from 'node:http';

const [listenPort, ...upstreamPorts] = process.argv.slice(2).map(Number);
if (!listenPort || upstreamPorts.length === 0 || upstreamPorts.some((p) => !p)) {
  console.error('usage: node round-robin.mjs LISTEN_PORT UPSTREAM_PORT...');
  process.exit(2);
}

const upstreams = upstreamPorts.map((port) => ({
  url: `http://127.0.0.1:${port}`,
  port,
  requests: 0,
  errors: 0,
}));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let turn = 0;

// Hop-by-hop headers belong to one connection and are never forwarded.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardable(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!hopByHop.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

function stats() {
  return {
    total: upstreams.reduce((sum, u) => sum + u.requests, 0),
    upstreams: upstreams.map(({ url, requests, errors }) => ({ url, requests, errors })),
  };
}

const server = http.createServer((req, res) => {
  if (req.url === '/__upstreams') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(stats()));
    return;
  }
  const index = turn++ % upstreams.length;
  const upstream = upstreams[index];
  upstream.requests += 1;

  const headers = forwardable(req.headers);
  const client = req.socket.remoteAddress ?? 'unknown';
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${client}` : client;

  const outgoing = http.request(
    {
      host: '127.0.0.1',
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, {
        ...forwardable(answer.headers),
        'x-upstream': String(index),
      });
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  outgoing.on('error', (error) => {
    upstream.errors += 1;
    console.error(`[round-robin] ${req.method} ${req.url} -> ${upstream.url}: ${error.message}`);
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain', 'x-upstream': String(index) });
      res.end(`bad gateway: ${upstream.url} ${error.message}\n`);
    } else {
      res.destroy();
    }
  });
  req.on('aborted', () => outgoing.destroy());
  req.pipe(outgoing);
});

server.keepAliveTimeout = 65_000;
server.listen(listenPort, '127.0.0.1', () => {
  console.log(`[round-robin] http://127.0.0.1:${listenPort} -> ${upstreams.map((u) => u.url).join(', ')}`);
});

function stop(signal) {
  console.log(`[round-robin] ${signal}: ${JSON.stringify(stats())}`);
  server.close();
  server.closeAllConnections?.();
  agent.destroy();
  process.exit(0);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
