//! Streaming JSON Lines batches shared by `classify --batch` and `redact --batch`: bounded
//! lines, chunks processed on all cores, output in input order, bad lines reported and skipped.

use std::io::{BufRead, IoSlice, Write};
use std::path::Path;

use anyhow::Context;
use rayon::prelude::*;

use super::exit;

/// Longest request read from standard input or from one batch line; see the README.
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Lines processed together: enough to keep both cores busy, few enough for constant memory.
const CHUNK_LINES: usize = 512;

/// Bytes reserved for a line's answer before it is serialised.
const ANSWER_BYTES: usize = 4096;

pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// What a line's handler returns: what to write for the line (serialised as one JSON object),
/// or a reason and the fields to copy through.
pub type LineResult<T> = Result<T, (String, JsonObject)>;

/// Reads one request from standard input: at most [`MAX_INPUT_BYTES`], valid UTF-8.
pub fn read_stdin() -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("reading standard input")?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        anyhow::bail!(
            "standard input is longer than {MAX_INPUT_BYTES} bytes; use --batch for many requests"
        );
    }
    String::from_utf8(bytes).context("standard input is not valid UTF-8")
}

/// Removes and returns the non-blank `"text"` of a line.
pub fn take_text(object: &mut JsonObject) -> Result<String, (String, JsonObject)> {
    match object.remove("text") {
        Some(serde_json::Value::String(s)) if !sportello::text::is_blank(&s) => Ok(s),
        Some(serde_json::Value::String(_)) => Err(("empty \"text\"".into(), object.clone())),
        Some(_) => Err(("\"text\" is not a string".into(), object.clone())),
        None => Err(("missing \"text\"".into(), object.clone())),
    }
}

/// Runs `handle` on every JSON object line of `path` (`-` for standard input) and writes one
/// JSON line per input line to standard output, in order. Returns exit code 2 if any line failed.
pub fn run<T: serde::Serialize>(
    path: &Path,
    handle: impl Fn(JsonObject) -> LineResult<T> + Sync,
) -> anyhow::Result<u8> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let stdout = std::io::stdout();
    // no buffer of our own: each chunk's lines go out together (`write_all_vectored`)
    let mut out = stdout.lock();
    let mut lines = BoundedLines::new(reader, MAX_INPUT_BYTES as usize);
    let mut failed = 0usize;
    let mut line_no = 0usize;
    loop {
        let mut chunk: Vec<(usize, Result<Vec<u8>, String>)> = Vec::with_capacity(CHUNK_LINES);
        while chunk.len() < CHUNK_LINES {
            match lines
                .next_line()
                .with_context(|| format!("reading {}", path.display()))?
            {
                None => break,
                Some(line) => {
                    line_no += 1;
                    if line
                        .as_ref()
                        .is_ok_and(|l| l.iter().all(u8::is_ascii_whitespace))
                    {
                        continue; // blank lines carry no request
                    }
                    chunk.push((line_no, line));
                }
            }
        }
        if chunk.is_empty() {
            break;
        }
        // Output lines are serialised on the worker threads too: only writing is sequential.
        let results: Vec<(usize, Option<String>, Vec<u8>)> = chunk
            .into_par_iter()
            .map(|(n, line)| {
                let (error, written) = match parse(line).and_then(|o| {
                    let answer = handle(o)?;
                    // room for a whole answer (about 2 KiB with the catalogue's texts) at once
                    let mut bytes = Vec::with_capacity(ANSWER_BYTES);
                    serde_json::to_writer(&mut bytes, &answer)
                        .map(|()| bytes)
                        .map_err(|e| {
                            (
                                format!("could not serialise the answer: {e}"),
                                JsonObject::new(),
                            )
                        })
                }) {
                    Ok(bytes) => (None, Ok(bytes)),
                    Err((reason, mut object)) => {
                        object.insert("line".into(), n.into());
                        object.insert("error".into(), reason.clone().into());
                        (Some(reason), serde_json::to_vec(&object))
                    }
                };
                // a map of JSON values always serialises; the fallback is for form's sake
                let mut bytes = written.unwrap_or_else(|_| {
                    format!(r#"{{"line":{n},"error":"could not serialise the answer"}}"#)
                        .into_bytes()
                });
                bytes.push(b'\n');
                (n, error, bytes)
            })
            .collect();
        for (n, error, _) in &results {
            if let Some(reason) = error {
                failed += 1;
                eprintln!("sportello: line {n}: {reason}");
            }
        }
        let lines: Vec<&[u8]> = results
            .iter()
            .map(|(_, _, bytes)| bytes.as_slice())
            .collect();
        write_all_vectored(&mut out, &lines)?;
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("sportello: {failed} line(s) failed (see above)");
        return Ok(exit::ERROR);
    }
    Ok(exit::OK)
}

/// Writes `bufs` in order, handing many to each system call (`writev`): a chunk's answers go
/// out without being copied into a buffer first, while the other cores wait.
fn write_all_vectored(out: &mut impl Write, bufs: &[&[u8]]) -> std::io::Result<()> {
    // at most 1024 buffers a call: the usual limit (IOV_MAX) of `writev`
    for group in bufs.chunks(1024) {
        let mut slices: Vec<IoSlice> = group.iter().map(|b| IoSlice::new(b)).collect();
        let mut slices = slices.as_mut_slice();
        // skip empty buffers at the start, so that a write of nothing means the output is full
        IoSlice::advance_slices(&mut slices, 0);
        while !slices.is_empty() {
            match out.write_vectored(slices) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut slices, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// A line as a JSON object.
fn parse(line: Result<Vec<u8>, String>) -> LineResult<JsonObject> {
    let fail = |reason: String| (reason, JsonObject::new());
    let bytes = line.map_err(fail)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| fail("not valid UTF-8".into()))?;
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(o)) => Ok(o),
        Ok(_) => Err(fail("not a JSON object".into())),
        Err(e) => Err(fail(format!("not JSON: {e}"))),
    }
}

/// Reads lines of at most `max` bytes; longer lines are skipped to their end and reported, so a
/// single huge line cannot exhaust memory.
struct BoundedLines<R> {
    reader: R,
    max: usize,
}

impl<R: BufRead> BoundedLines<R> {
    fn new(reader: R, max: usize) -> Self {
        BoundedLines { reader, max }
    }

    /// `Ok(None)` at the end; `Ok(Some(Err(reason)))` for a line that was too long.
    fn next_line(&mut self) -> std::io::Result<Option<Result<Vec<u8>, String>>> {
        let mut line = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if !too_long {
                if line.len() + chunk.len() > self.max {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let consumed = done.unwrap_or(buf.len());
            self.reader.consume(consumed);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if too_long {
            return Ok(Some(Err(format!("line longer than {} bytes", self.max))));
        }
        Ok(Some(Ok(line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_split_and_cap() {
        let input = b"uno\ndue lunghissima\n\ntre";
        let mut lines = BoundedLines::new(&input[..], 5);
        assert_eq!(lines.next_line().unwrap(), Some(Ok(b"uno".to_vec())));
        assert!(matches!(lines.next_line().unwrap(), Some(Err(_))));
        assert_eq!(lines.next_line().unwrap(), Some(Ok(Vec::new())));
        assert_eq!(lines.next_line().unwrap(), Some(Ok(b"tre".to_vec())));
        assert_eq!(lines.next_line().unwrap(), None);
    }

    /// Takes at most a few bytes a call, across buffers, and is interrupted every third call.
    struct Trickle {
        written: Vec<u8>,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let mut room = 5;
            for buf in bufs {
                let n = buf.len().min(room);
                self.written.extend_from_slice(&buf[..n]);
                room -= n;
                if room == 0 {
                    break;
                }
            }
            Ok(5 - room)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn vectored_writes_keep_every_byte_in_order() {
        let lines: Vec<Vec<u8>> = (0..2500)
            .map(|i| format!("{{\"line\":{i}}}\n").into_bytes())
            .chain([Vec::new(), b"fine\n".to_vec()])
            .collect();
        let bufs: Vec<&[u8]> = std::iter::once(&b""[..])
            .chain(lines.iter().map(Vec::as_slice))
            .collect();
        let mut out = Trickle {
            written: Vec::new(),
            calls: 0,
        };
        write_all_vectored(&mut out, &bufs).unwrap();
        assert_eq!(out.written, bufs.concat());
    }

    #[test]
    fn vectored_writes_stop_when_the_output_takes_nothing() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = write_all_vectored(&mut Full, &[b"x\n"]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WriteZero);
    }

    #[test]
    fn take_text_rejects_blank_and_non_strings() {
        let mut o: JsonObject = serde_json::from_str(r#"{"id":1,"text":"ciao"}"#).unwrap();
        assert_eq!(take_text(&mut o).unwrap(), "ciao");
        assert!(!o.contains_key("text"));
        for bad in [r#"{"text":" \u0000 "}"#, r#"{"text":3}"#, r#"{"id":1}"#] {
            let mut o: JsonObject = serde_json::from_str(bad).unwrap();
            assert!(take_text(&mut o).is_err(), "{bad}");
        }
    }
}
