import { createSocket } from 'node:dgram';

/*
 * A real DNS server on 127.0.0.1 (UDP, random port) answering from a fixed zone, so that the MX
 * checks are tested through node:dns without the internet. Hand-written (RFC 1035 §4: header,
 * one question, MX/A answers) instead of a package: it is the small subset the checks ask for.
 */

export interface Zone {
  [domain: string]: { mx?: { priority: number; exchange: string }[]; a?: string[] } | 'servfail';
}

export interface DnsServer {
  /** `127.0.0.1:<port>`, for DNS_SERVERS / Resolver.setServers. */
  address: string;
  /** Questions asked so far, as `<type> <name>`. */
  asked: string[];
  close(): Promise<void>;
}

const TYPE = { A: 1, MX: 15, AAAA: 28 } as const;

function encodeName(name: string): Buffer {
  if (name === '' || name === '.') return Buffer.from([0]);
  const parts = name.replace(/\.$/, '').split('.');
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])),
    Buffer.from([0]),
  ]);
}

function record(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(300, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

export async function startDnsServer(zone: Zone): Promise<DnsServer> {
  const socket = createSocket('udp4');
  const asked: string[] = [];
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    let offset = 12;
    const labels: string[] = [];
    while (offset < msg.length && msg[offset]! > 0) {
      const len = msg[offset]!;
      labels.push(msg.subarray(offset + 1, offset + 1 + len).toString('ascii'));
      offset += len + 1;
    }
    offset += 1;
    const qtype = msg.readUInt16BE(offset);
    const question = msg.subarray(12, offset + 4);
    const name = labels.join('.').toLowerCase();
    asked.push(`${qtype} ${name}`);
    const entry = zone[name];
    const answers: Buffer[] = [];
    let rcode = 0;
    if (entry === undefined)
      rcode = 3; // NXDOMAIN
    else if (entry === 'servfail') rcode = 2;
    else if (qtype === TYPE.MX)
      for (const mx of entry.mx ?? []) {
        const pref = Buffer.alloc(2);
        pref.writeUInt16BE(mx.priority);
        answers.push(record(TYPE.MX, Buffer.concat([pref, encodeName(mx.exchange)])));
      }
    else if (qtype === TYPE.A)
      for (const ip of entry.a ?? []) answers.push(record(TYPE.A, Buffer.from(ip.split('.').map(Number))));
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8180 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    asked,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
