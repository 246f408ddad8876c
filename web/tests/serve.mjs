// A small static server for the built UI (web/dist) that proxies the API to a Prometheus-
// compatible server, as `vigil server` serves both from one port. It follows the same rules as
// src/web: hashed files under /assets/ are cached for a year, index.html is revalidated, and a
// path without a file falls back to index.html (client-side routes).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};
const PROXIED = [/^\/api\//, /^\/metrics$/, /^\/-\//, /^\/federate$/];

export function startStaticServer({ dir, port, upstream }) {
  const up = new URL(upstream);
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (PROXIED.some((re) => re.test(u.pathname))) {
      const preq = http.request({
        host: up.hostname, port: up.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: up.host },
      }, (pres) => {
        res.writeHead(pres.statusCode, pres.headers);
        pres.pipe(res);
      });
      preq.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
      req.pipe(preq);
      return;
    }
    let rel = decodeURIComponent(u.pathname);
    let file = path.join(dir, path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
    let immutable = rel.startsWith('/assets/');
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      if (path.extname(rel) !== '' && rel !== '/') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
        return;
      }
      file = path.join(dir, 'index.html');
      immutable = false;
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
