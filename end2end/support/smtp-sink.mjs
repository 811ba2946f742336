// A real SMTP server for the end-to-end tests (npm smtp-server), with every
// message parsed (mailparser) and readable over HTTP:
//   GET    /messages   all messages, oldest first
//   DELETE /messages   forget them
//   GET    /healthz    200 once both ports listen
// Usage: node support/smtp-sink.mjs SMTP_PORT HTTP_PORT
import http from 'node:http';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const [smtpPort, httpPort] = process.argv.slice(2).map(Number);
let messages = [];

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then((mail) => {
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          from: session.envelope.mailFrom && session.envelope.mailFrom.address,
          subject: mail.subject,
          messageId: mail.messageId,
          text: mail.text,
          html: mail.html,
        });
        callback();
      })
      .catch(callback);
  },
});
smtp.listen(smtpPort, '127.0.0.1');

http
  .createServer((req, res) => {
    if (req.url === '/messages' && req.method === 'DELETE') {
      messages = [];
      res.writeHead(204).end();
    } else if (req.url === '/messages') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(messages));
    } else if (req.url === '/healthz') {
      res.writeHead(200).end('ok');
    } else {
      res.writeHead(404).end();
    }
  })
  .listen(httpPort, '127.0.0.1');
