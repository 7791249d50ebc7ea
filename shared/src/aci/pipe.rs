//! Bounded, recycling channels of byte buffers: a decompressing thread feeds the parsing
//! (calling) thread, which forwards each buffer to a hashing thread. SHA-512 is the slowest
//! stage and cannot be split, so it gets a thread of its own with nothing else to do.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use sha2::{Digest, Sha512};

/// Size of each buffer passed between the threads.
const CHUNK: usize = 256 * 1024;
/// Buffers in flight; with recycling, memory stays near `(DEPTH + 2) * CHUNK`.
const DEPTH: usize = 4;

enum Msg {
    Data(Vec<u8>),
    Failed(io::Error),
    End,
}

/// The producing half: fills buffers from a reader and sends them.
pub struct Producer {
    tx: SyncSender<Msg>,
    spare: Receiver<Vec<u8>>,
}

/// The consuming half: a `Read` that passes every buffer it receives on to the [`Hasher`].
pub struct Consumer {
    rx: Receiver<Msg>,
    spare: SyncSender<Vec<u8>>,
    hash: Option<SyncSender<Arc<Vec<u8>>>>,
    cur: Arc<Vec<u8>>,
    pos: usize,
    state: State,
}

/// The hashing half: digests buffers in the order the consumer received them.
pub struct Hasher {
    rx: Receiver<Arc<Vec<u8>>>,
    spare: SyncSender<Vec<u8>>,
}

impl Hasher {
    /// Hashes until the consumer hangs up; returns the digest and the byte count.
    pub fn run(self) -> ([u8; 64], u64) {
        let mut hasher = Sha512::new();
        let mut total = 0u64;
        for buf in self.rx {
            hasher.update(&buf[..]);
            total += buf.len() as u64;
            recycle(buf, &self.spare);
        }
        (hasher.finalize().into(), total)
    }
}

/// Returns a buffer to the producer once its last user lets go of it.
fn recycle(buf: Arc<Vec<u8>>, spare: &SyncSender<Vec<u8>>) {
    if let Ok(v) = Arc::try_unwrap(buf) {
        let _ = spare.try_send(v);
    }
}

enum State {
    Open,
    Ended,
    Failed(Option<io::Error>),
}

/// A connected producer, consumer and hasher.
pub fn pipeline() -> (Producer, Consumer, Hasher) {
    let (tx, rx) = sync_channel(DEPTH);
    let (hash_tx, hash_rx) = sync_channel(DEPTH);
    let (spare_tx, spare_rx) = sync_channel(2 * DEPTH + 2);
    (
        Producer {
            tx,
            spare: spare_rx,
        },
        Consumer {
            rx,
            spare: spare_tx.clone(),
            hash: Some(hash_tx),
            cur: Arc::new(Vec::new()),
            pos: 0,
            state: State::Open,
        },
        Hasher {
            rx: hash_rx,
            spare: spare_tx,
        },
    )
}

impl Producer {
    /// Copies `src` to the consumer until EOF, an error, or the consumer hanging up.
    pub fn run(self, mut src: impl Read) {
        loop {
            let mut buf = match self.spare.try_recv() {
                Ok(b) => b,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(CHUNK),
            };
            buf.resize(CHUNK, 0);
            let mut n = 0;
            while n < CHUNK {
                match src.read(&mut buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = self.tx.send(Msg::Failed(e));
                        return;
                    }
                }
            }
            if n == 0 {
                let _ = self.tx.send(Msg::End);
                return;
            }
            buf.truncate(n);
            if self.tx.send(Msg::Data(buf)).is_err() {
                return;
            }
        }
    }
}

impl Consumer {
    /// Stops forwarding buffers to the hasher (for passes that need no image ID).
    pub fn without_hash(mut self) -> Self {
        self.hash = None;
        self
    }

    /// Receives the next buffer; false at the end of the stream.
    fn next_buf(&mut self) -> io::Result<bool> {
        match self.state {
            State::Open => {}
            State::Ended => return Ok(false),
            State::Failed(_) => return Err(io::Error::other("input stream failed")),
        }
        let msg = self.rx.recv().unwrap_or_else(|_| {
            // The producer vanished without saying why (it panicked): never treat that as EOF,
            // or a truncated stream would get a wrong image ID.
            Msg::Failed(io::Error::other(
                "decompression thread stopped unexpectedly",
            ))
        });
        match msg {
            Msg::Data(buf) => {
                let buf = Arc::new(buf);
                if let Some(hash) = &self.hash
                    && hash.send(Arc::clone(&buf)).is_err()
                {
                    return Err(io::Error::other("hashing thread stopped unexpectedly"));
                }
                let old = std::mem::replace(&mut self.cur, buf);
                recycle(old, &self.spare);
                self.pos = 0;
                Ok(true)
            }
            Msg::End => {
                self.state = State::Ended;
                Ok(false)
            }
            Msg::Failed(e) => {
                self.state = State::Failed(Some(e));
                Err(io::Error::other("input stream failed"))
            }
        }
    }

    /// Reads (and hashes) everything left up to EOF.
    pub fn drain(&mut self) -> io::Result<()> {
        self.pos = self.cur.len();
        while self.next_buf()? {}
        Ok(())
    }

    /// The error the producer reported, if any; taken once.
    pub fn take_failure(&mut self) -> Option<io::Error> {
        match &mut self.state {
            State::Failed(e) => e.take(),
            _ => None,
        }
    }

    /// Hangs up on the hasher, so that [`Hasher::run`] returns.
    pub fn close(&mut self) {
        self.hash = None;
    }
}

impl Read for Consumer {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.cur.len() && !self.next_buf()? {
            return Ok(0);
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
