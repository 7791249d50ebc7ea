//! Download progress on stderr (bytes, rate, ETA), only when asked (stderr is a terminal).

use std::io::Write;
use std::time::{Duration, Instant};

/// A progress line for one download.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    label: String,
    total: Option<u64>,
    start: Instant,
    last: Instant,
}

impl Progress {
    /// Starts a line for `label` expecting `total` bytes if known.
    pub fn new(enabled: bool, label: &str, total: Option<u64>) -> Progress {
        let now = Instant::now();
        Progress {
            enabled,
            label: label.rsplit('/').next().unwrap_or(label).to_string(),
            total,
            start: now,
            last: now,
        }
    }

    /// Redraws (at most five times a second) after `done` bytes.
    pub fn update(&mut self, done: u64) {
        if self.enabled && self.last.elapsed() >= Duration::from_millis(200) {
            self.last = Instant::now();
            self.draw(done, false);
        }
    }

    /// Draws the final state and ends the line.
    pub fn finish(&mut self, done: u64) {
        if self.enabled {
            self.draw(done, true);
        }
    }

    fn draw(&self, done: u64, end: bool) {
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let mut line = format!("\r{}: {}", self.label, acstore::record::human_size(done));
        if let Some(total) = self.total {
            line.push_str(&format!(" / {}", acstore::record::human_size(total)));
            if !end && rate > 0.0 && total > done {
                line.push_str(&format!(", ETA {:.0}s", (total - done) as f64 / rate));
            }
        }
        line.push_str(&format!(
            " at {}/s\x1b[K",
            acstore::record::human_size(rate as u64)
        ));
        if end {
            line.push('\n');
        }
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}
