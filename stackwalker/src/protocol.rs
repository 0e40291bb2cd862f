//! The wire format between the processor and the service, on the service's stdin and stdout.
//!
//! Every message is one frame: a little-endian `u32` with the length of the rest, a `u32` with the
//! length of a JSON header, the header, then raw bytes (the body). Requests carry the raw crash
//! for `--evil-json` as their body; answers carry the walk's log followed by its JSON output, so
//! neither is escaped into the header. Frames are written whole by one writer, so answers never
//! interleave, and each names the request it answers: a walk that fails can only fail its own
//! answer, and a service that dies mid-frame leaves a truncated frame the client discards.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::symbols::{SourceCounts, SymbolSettings};

/// The largest request accepted (header and raw crash); anything bigger is a broken client.
pub const MAX_REQUEST_BYTES: u32 = 64 << 20;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Walk a minidump as `minidump-stackwalk --json` would.
    Walk,
    /// Report the symbol cache's counters.
    Stats,
}

/// A request's header; for a walk with `evil_json`, the frame's body is the raw crash JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub id: u64,
    #[serde(default = "default_operation")]
    pub op: Operation,
    pub dump: Option<PathBuf>,
    /// Symbol sources as minidump-stackwalk's `--symbols-*` flags give them; none means no
    /// symbols at all (minidump-stackwalk without symbol flags).
    #[serde(default)]
    pub symbols: Option<SymbolSettings>,
    /// Whether the body holds the raw crash for `--evil-json`.
    #[serde(default)]
    pub evil_json: bool,
    /// minidump-stackwalk's `--features`.
    #[serde(default = "default_features")]
    pub features: String,
    /// minidump-stackwalk's `--recover-function-args`.
    #[serde(default)]
    pub recover_function_args: bool,
    /// minidump-stackwalk's `--pretty`.
    #[serde(default)]
    pub pretty: bool,
}

fn default_operation() -> Operation {
    Operation::Walk
}

fn default_features() -> String {
    "stable-basic".to_string()
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The walk ran to its end: `exit_code` is what minidump-stackwalk would have exited with.
    Walked,
    /// The walk panicked; the service goes on, the caller should walk the dump another way.
    Panicked,
    /// The request could not be served as asked (a bad option, a missing field).
    Refused,
    /// Counters, for a stats request.
    Stats,
}

/// An answer's header; its body is `log_len` bytes of log, then the JSON output.
#[derive(Debug, Serialize)]
pub struct Answer {
    pub id: u64,
    pub outcome: Outcome,
    pub exit_code: i32,
    pub log_len: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<serde_json::Value>,
    /// For a walk: where its modules' symbols came from (memory, local, cache, download,
    /// missing), one count per module looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbols: Option<SourceCounts>,
}

/// One frame read from the client: its header bytes and its body.
pub struct Frame {
    pub header: Vec<u8>,
    pub body: Vec<u8>,
}

/// Read the next frame; `None` at a clean end of input (between frames).
pub fn read_frame(input: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut length = [0u8; 4];
    match input.read_exact(&mut length) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u32::from_le_bytes(length);
    if !(4..=MAX_REQUEST_BYTES).contains(&length) {
        return Err(invalid(format!("frame of {length} bytes")));
    }
    let mut payload = vec![0u8; length as usize];
    input.read_exact(&mut payload)?;
    let header_length = u32::from_le_bytes(payload[..4].try_into().expect("4 bytes")) as usize;
    if header_length > payload.len() - 4 {
        return Err(invalid(format!(
            "header of {header_length} bytes in a frame of {length}"
        )));
    }
    let body = payload.split_off(4 + header_length);
    payload.drain(..4);
    Ok(Some(Frame {
        header: payload,
        body,
    }))
}

/// Encode one answer: header, then the log and the output as its body.
pub fn encode_answer(answer: &Answer, log: &[u8], output: &[u8]) -> Vec<u8> {
    let header = serde_json::to_vec(answer).expect("answers always serialize");
    let payload_length = 4 + header.len() + log.len() + output.len();
    let mut frame = Vec::with_capacity(4 + payload_length);
    frame.extend_from_slice(&(payload_length as u32).to_le_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_le_bytes());
    frame.extend_from_slice(&header);
    frame.extend_from_slice(log);
    frame.extend_from_slice(output);
    frame
}

/// Write encoded frames as they come, flushing whenever none is waiting.
pub fn write_frames(
    output: impl Write,
    frames: std::sync::mpsc::Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut output = io::BufWriter::with_capacity(1 << 16, output);
    while let Ok(frame) = frames.recv() {
        output.write_all(&frame)?;
        while let Ok(frame) = frames.try_recv() {
            output.write_all(&frame)?;
        }
        output.flush()?;
    }
    output.flush()
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_frame(header: &str, body: &[u8]) -> Vec<u8> {
        let mut frame = Vec::new();
        frame.extend_from_slice(&((4 + header.len() + body.len()) as u32).to_le_bytes());
        frame.extend_from_slice(&(header.len() as u32).to_le_bytes());
        frame.extend_from_slice(header.as_bytes());
        frame.extend_from_slice(body);
        frame
    }

    #[test]
    fn frames_are_read_back_in_order_then_end_cleanly() {
        let mut input = request_frame(r#"{"id":1,"dump":"/a.dmp"}"#, b"");
        input.extend(request_frame(r#"{"id":2,"evil_json":true}"#, b"{\"a\":1}"));
        let mut reader = &input[..];
        let first = read_frame(&mut reader).unwrap().unwrap();
        let request: Request = serde_json::from_slice(&first.header).unwrap();
        assert_eq!(request.id, 1);
        assert_eq!(request.op, Operation::Walk);
        assert_eq!(request.features, "stable-basic");
        assert!(first.body.is_empty());
        let second = read_frame(&mut reader).unwrap().unwrap();
        assert_eq!(second.body, b"{\"a\":1}");
        assert!(read_frame(&mut reader).unwrap().is_none());
    }

    #[test]
    fn a_frame_cut_short_is_an_error_not_an_end() {
        let input = request_frame(r#"{"id":1}"#, b"body");
        let mut reader = &input[..input.len() - 2];
        assert!(read_frame(&mut reader).is_err());
    }

    #[test]
    fn oversized_and_inconsistent_frames_are_refused() {
        let mut reader = &(MAX_REQUEST_BYTES + 1).to_le_bytes()[..];
        assert!(read_frame(&mut reader).is_err());
        let mut bad = Vec::new();
        bad.extend_from_slice(&8u32.to_le_bytes());
        bad.extend_from_slice(&100u32.to_le_bytes());
        bad.extend_from_slice(b"abcd");
        assert!(read_frame(&mut &bad[..]).is_err());
    }

    #[test]
    fn unknown_request_fields_are_refused() {
        let parsed: Result<Request, _> = serde_json::from_str(r#"{"id":1,"dumpp":"/a"}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn answers_carry_log_then_output() {
        let answer = Answer {
            id: 7,
            outcome: Outcome::Walked,
            exit_code: 0,
            log_len: 3,
            message: None,
            stats: None,
            symbols: None,
        };
        let frame = encode_answer(&answer, b"log", b"{}");
        let payload_length = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
        assert_eq!(payload_length, frame.len() - 4);
        let header_length = u32::from_le_bytes(frame[4..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&frame[8..8 + header_length]).unwrap();
        assert_eq!(header["id"], 7);
        assert_eq!(header["outcome"], "walked");
        assert_eq!(&frame[8 + header_length..], b"log{}");
    }
}
