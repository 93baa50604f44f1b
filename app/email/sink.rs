//! An in-process SMTP server that keeps what it receives: the demo's mailbox, the tests' mail server
//! and the outbox benchmark's target. It speaks enough SMTP for lettre (EHLO, AUTH PLAIN, MAIL, RCPT,
//! DATA with dot-unstuffing, RSET, NOOP, QUIT), and its answers can be scripted to play a failing
//! server: a 4xx or 5xx answer to a message, a connection dropped in the middle of DATA, a server that
//! never greets, or one that keeps a message without ever confirming it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A message as the sink received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The user of `AUTH PLAIN`, when the client authenticated.
    pub user: Option<String>,
    /// The message as sent (headers and body), without the SMTP dot-stuffing.
    pub data: Vec<u8>,
    pub received_at: DateTime<Utc>,
}

impl Received {
    /// The raw message as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    fn parsed(&self) -> Option<mail_parser::Message<'_>> {
        mail_parser::MessageParser::default().parse(&self.data)
    }

    /// The decoded subject.
    pub fn subject(&self) -> String {
        self.parsed()
            .and_then(|m| m.subject().map(str::to_string))
            .unwrap_or_default()
    }

    /// The decoded plain-text part.
    pub fn text_body(&self) -> String {
        self.parsed()
            .and_then(|m| m.body_text(0).map(|b| b.into_owned()))
            .unwrap_or_default()
    }

    /// The decoded HTML part.
    pub fn html_body(&self) -> String {
        self.parsed()
            .and_then(|m| m.body_html(0).map(|b| b.into_owned()))
            .unwrap_or_default()
    }

    /// The first header of this name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.text();
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = found.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                found = Some(value.trim().to_string());
            }
        }
        found
    }
}

/// How the sink answers one delivery instead of accepting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers the end of the message with this code (421, 451, 550, …) and keeps nothing.
    Reply(u16),
    /// Reads part of the message, then closes the connection.
    DropMidData,
    /// Accepts the connection and never says anything.
    Stall,
    /// Keeps the message and never confirms it (a server that crashed, or a client killed, between
    /// the message arriving and its `250` being read).
    KeepWithoutReply,
}

#[derive(Default)]
struct Shared {
    inbox: Mutex<Vec<Received>>,
    faults: Mutex<VecDeque<Fault>>,
    arrived: Notify,
}

/// A running sink; it stops when dropped.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    /// Listens on `127.0.0.1` at a free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0").await
    }

    pub async fn start_on(address: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                // Replies are small writes: send each at once, as mail servers do.
                let _ = stream.set_nodelay(true);
                tokio::spawn(converse(stream, serving.clone()));
            }
        });
        Ok(Self { port, shared, task })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `TRUESTOCK_SMTP_URL` that reaches this sink (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next deliveries meet these faults, in order; later ones are accepted again.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.faults.lock().expect("sink lock").extend(faults);
    }

    /// Every message kept so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.inbox.lock().expect("sink lock").clone()
    }

    /// Waits until at least `count` messages are kept, or `timeout` passes; returns what is there.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            let messages = self.messages();
            if messages.len() >= count || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            let _ = tokio::time::timeout_at(deadline, arrived).await;
        }
    }
}

fn next_fault(shared: &Shared, applies: impl Fn(Fault) -> bool) -> Option<Fault> {
    let mut faults = shared.faults.lock().expect("sink lock");
    match faults.front() {
        Some(&fault) if applies(fault) => faults.pop_front(),
        _ => None,
    }
}

/// One SMTP session. Ends on QUIT, on a closed connection, or on a scripted fault.
async fn converse(stream: TcpStream, shared: Arc<Shared>) {
    if next_fault(&shared, |f| f == Fault::Stall).is_some() {
        // Hold the connection open, silent, until the client gives up.
        let mut stream = stream;
        let mut buf = [0_u8; 1024];
        while let Ok(n) = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await {
            if n == 0 {
                break;
            }
        }
        return;
    }
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut from = String::new();
    let mut to = Vec::new();
    let mut user = None;
    if write.write_all(b"220 truestock-sink ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-truestock-sink\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8\r\n",
            "HELO" => b"250 truestock-sink\r\n",
            "AUTH" => {
                user = plain_user(&command);
                b"235 2.7.0 Authentication successful\r\n"
            }
            "MAIL" => {
                from = address_of(&command);
                to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" => {
                to.push(address_of(&command));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" => {
                if write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let drop_mid_data = next_fault(&shared, |f| f == Fault::DropMidData).is_some();
                let Some(data) = read_data(&mut lines, drop_mid_data).await else {
                    return;
                };
                let fault = next_fault(&shared, |f| matches!(f, Fault::Reply(_) | Fault::KeepWithoutReply));
                if let Some(Fault::Reply(code)) = fault {
                    let answer = format!("{code} {}\r\n", reason(code));
                    if write.write_all(answer.as_bytes()).await.is_err() || code == 421 {
                        return;
                    }
                    continue;
                }
                shared.inbox.lock().expect("sink lock").push(Received {
                    from: from.clone(),
                    to: to.clone(),
                    user: user.clone(),
                    data,
                    received_at: Utc::now(),
                });
                shared.arrived.notify_waiters();
                if fault == Some(Fault::KeepWithoutReply) {
                    // Never answer; wait for the client to go away.
                    let mut rest = String::new();
                    while matches!(lines.read_line(&mut rest).await, Ok(n) if n > 0) {
                        rest.clear();
                    }
                    return;
                }
                b"250 2.0.0 OK: queued\r\n"
            }
            "RSET" => {
                from.clear();
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The message lines up to the lone dot, unstuffed; `None` when the connection ends first (or is
/// dropped on purpose after the first lines).
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, drop_mid_data: bool) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut count = 0;
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        count += 1;
        if drop_mid_data && count == 3 {
            return None;
        }
        if line == b".\r\n" || line == b".\n" {
            // The line break before the dot belongs to the terminator (RFC 5321 §4.1.1.4).
            if data.ends_with(b"\r\n") {
                data.truncate(data.len() - 2);
            }
            return Some(data);
        }
        let unstuffed = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
        data.extend_from_slice(unstuffed);
    }
}

/// `MAIL FROM:<a@b> SIZE=…` → `a@b`.
fn address_of(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..].find('>').map_or(command.len(), |i| start + i);
    command[start..end].to_string()
}

/// The user of `AUTH PLAIN <base64 of \0user\0password>`.
fn plain_user(command: &str) -> Option<String> {
    use base64::Engine as _;
    let encoded = command.split_whitespace().nth(2)?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let mut parts = decoded.split(|b| *b == 0);
    let _authzid = parts.next()?;
    Some(String::from_utf8_lossy(parts.next()?).into_owned())
}

fn reason(code: u16) -> &'static str {
    match code {
        421 => "4.3.2 Service not available, closing channel",
        450..=499 => "4.3.0 Try again later",
        550 => "5.1.1 Mailbox unavailable",
        _ => "5.0.0 Refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_unfolded_and_case_insensitively() {
        let message = Received {
            from: String::new(),
            to: vec![],
            user: None,
            data: b"Subject: one\r\n two\r\nMessage-ID: <x@y>\r\n\r\nSubject: body".to_vec(),
            received_at: Utc::now(),
        };
        assert_eq!(message.header("subject").as_deref(), Some("one two"));
        assert_eq!(message.header("message-id").as_deref(), Some("<x@y>"));
        assert_eq!(message.header("to"), None);
        assert_eq!(address_of("MAIL FROM:<a@b.c> SIZE=10"), "a@b.c");
    }
}
