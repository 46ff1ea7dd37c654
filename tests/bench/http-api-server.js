// The benchmark's HTTP API (not a test fixture): serves the records of a JSON-lines file as
// GET /<resource>?_page=P&_limit=L, pages linked by RFC 8288 Link headers as json-server does,
// but answering a page in time proportional to the page (json-server filters the whole
// collection per request, which would hide the client's own cost behind the server's).
//   node http-api-server.js PORT RESOURCE FILE.jsonl
'use strict';
const http = require('http');
const fs = require('fs');
const [port, resource, file] = process.argv.slice(2);
const records = fs.readFileSync(file, 'utf8').split('\n').filter(l => l.length > 0);
const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host}`);
  if (url.pathname !== `/${resource}`) {
    res.writeHead(404, {'Content-Type': 'application/json'});
    res.end('{}');
    return;
  }
  const page = Math.max(1, parseInt(url.searchParams.get('_page') || '1', 10));
  const limit = Math.max(1, parseInt(url.searchParams.get('_limit') || '100', 10));
  const from = (page - 1) * limit;
  const body = '[' + records.slice(from, from + limit).join(',') + ']';
  const headers = {'Content-Type': 'application/json; charset=utf-8', 'X-Total-Count': String(records.length)};
  // As json-server links them: first, prev, next and last.
  const to = p => `<http://${req.headers.host}/${resource}?_page=${p}&_limit=${limit}>`;
  const last = Math.max(1, Math.ceil(records.length / limit));
  const links = [`${to(1)}; rel="first"`];
  if (page > 1)
    links.push(`${to(page - 1)}; rel="prev"`);
  if (page < last)
    links.push(`${to(page + 1)}; rel="next"`);
  links.push(`${to(last)}; rel="last"`);
  headers['Link'] = links.join(', ');
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(Number(port), '127.0.0.1');
