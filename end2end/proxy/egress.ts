// Clients at addresses of their own. Every browser of a test run is on
// this machine, so nginx would see them all as 127.0.0.1; and connecting
// to 127.0.0.2 does not help (Linux still picks 127.0.0.1 as the source).
// A browser context is given this forward proxy instead: it opens each
// tunnel to nginx from the loopback address it was made for (any of
// 127.0.0.0/8 can be bound on Linux), so nginx sees that address as the
// client's, like a showroom's router on the internet.
import * as http from 'node:http';
import * as net from 'node:net';

export interface Egress {
  /** For `browser.newContext({ proxy: { server } })`. */
  server: string;
  close(): Promise<void>;
}

/**
 * A CONNECT proxy on 127.0.0.1 whose tunnels leave from `address`, to
 * `port` on 127.0.0.1 and nowhere else.
 */
export async function egress(address: string, port: number): Promise<Egress> {
  const sockets = new Set<net.Socket>();
  const proxy = http.createServer((_req, res) => {
    res.writeHead(405).end();
  });
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = new URL(`http://${req.url}`);
    if (Number(target.port) !== port || !['localhost', '127.0.0.1'].includes(target.hostname)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port, localAddress: address }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port: own } = proxy.address() as net.AddressInfo;
  return {
    server: `http://127.0.0.1:${own}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}
