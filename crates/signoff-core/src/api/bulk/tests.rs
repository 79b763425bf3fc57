//! Bulk revocation: reading tokens in batches, line by line and honestly, and the run's results.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::*;

fn texts(batch: &[InputLine]) -> Vec<&str> {
    batch
        .iter()
        .map(|item| match item {
            InputLine::Token { token, .. } => token.expose_secret(),
            other => panic!("not a token: {other:?}"),
        })
        .collect()
}

/// Every item `input` gives, in order, as (line, what) with what a token's text,
/// `<not utf-8>`, `<too long>` or `<read error: …>`.
async fn items(input: impl std::io::Read + Send + 'static) -> Vec<(u64, String)> {
    let mut rx = read_tokens(input);
    let mut seen = Vec::new();
    while let Some(batch) = rx.recv().await {
        assert!(!batch.is_empty() && batch.len() <= BATCH);
        seen.extend(batch.into_iter().map(|item| match item {
            InputLine::Token { line, token } => (line, token.expose_secret().to_owned()),
            InputLine::Invalid { line, why } => (line, format!("<{why:?}>")),
            InputLine::ReadFailed { line, error } => (line, format!("<read error: {error}>")),
        }));
    }
    seen
}

#[tokio::test]
async fn tokens_that_trickle_in_are_handed_over_without_waiting_for_a_full_batch() {
    let (mut writer, reader) = UnixStream::pair().unwrap();
    let mut rx = read_tokens(reader);
    writer.write_all(b"first\n  second  \n").unwrap();
    // The writer stays open: the reader must not wait for more before handing these over.
    let batch = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("the two tokens were held back waiting for more input")
        .unwrap();
    assert_eq!(texts(&batch), ["first", "second"]);
    writer.write_all(b"third").unwrap();
    drop(writer);
    assert_eq!(texts(&rx.recv().await.unwrap()), ["third"]);
    assert!(
        rx.recv().await.is_none(),
        "the end of the input ends the stream"
    );
}

#[tokio::test]
async fn a_long_input_arrives_whole_in_order_and_in_bounded_batches() {
    let input: String = (0..2_000).map(|n| format!("token-{n}\n")).collect();
    let seen = items(std::io::Cursor::new(input.into_bytes())).await;
    let expected: Vec<(u64, String)> = (0..2_000).map(|n| (n + 1, format!("token-{n}"))).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn lines_are_numbered_as_in_the_file_and_bad_ones_are_items_of_their_own() {
    let mut input = Vec::new();
    input.extend_from_slice(b"one\n\n"); // 1, 2 blank
    input.extend_from_slice(b"bad-\xc3\x28-utf8\n"); // 3
    input.extend_from_slice(b" four \r\n"); // 4
    input.extend(std::iter::repeat_n(b'x', 20 * 1024)); // 5
    input.extend_from_slice(b"\n \t \n"); // 6 blank
    input.extend_from_slice(b"seven"); // 7, no newline at the end
    let seen = items(std::io::Cursor::new(input)).await;
    let seen: Vec<(u64, &str)> = seen.iter().map(|(n, s)| (*n, s.as_str())).collect();
    assert_eq!(
        seen,
        [
            (1, "one"),
            (3, "<NotUtf8>"),
            (4, "four"),
            (5, "<TooLong>"),
            (7, "seven")
        ]
    );
}

#[tokio::test]
async fn a_line_of_the_cap_is_a_token_and_one_byte_more_is_not() {
    let at_cap = "a".repeat(MAX_LINE);
    let over = "b".repeat(MAX_LINE + 1);
    let input = format!("{at_cap}\n{over}\nafter\n");
    let seen = items(std::io::Cursor::new(input.into_bytes())).await;
    assert_eq!(
        seen,
        [
            (1, at_cap),
            (2, "<TooLong>".to_owned()),
            (3, "after".to_owned())
        ]
    );
}

/// An input that gives `head`, then `endless` bytes of `x` without a newline (generated, not
/// held), then `tail`.
struct Generated {
    head: std::io::Cursor<Vec<u8>>,
    endless: usize,
    tail: std::io::Cursor<Vec<u8>>,
}

impl std::io::Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.head.read(out)?;
        if n > 0 {
            return Ok(n);
        }
        if self.endless > 0 {
            let n = out.len().min(self.endless);
            out[..n].fill(b'x');
            self.endless -= n;
            return Ok(n);
        }
        self.tail.read(out)
    }
}

#[tokio::test]
async fn a_line_without_end_is_dropped_as_it_is_read_and_the_next_line_counts() {
    let input = Generated {
        head: std::io::Cursor::new(b"first\n".to_vec()),
        endless: 64 * 1024 * 1024,
        tail: std::io::Cursor::new(b"\nthird\n".to_vec()),
    };
    let seen = items(input).await;
    assert_eq!(
        seen,
        [
            (1, "first".to_owned()),
            (2, "<TooLong>".to_owned()),
            (3, "third".to_owned())
        ]
    );
}

#[test]
fn a_line_never_takes_more_than_the_cap() {
    let mut reader = std::io::BufReader::with_capacity(
        1024,
        std::io::Cursor::new([vec![b'y'; 1024 * 1024], b"\nok\n".to_vec()].concat()),
    );
    let mut buf = Vec::with_capacity(MAX_LINE);
    assert_eq!(read_line_capped(&mut reader, &mut buf).unwrap(), Some(true));
    assert!(buf.is_empty());
    assert_eq!(buf.capacity(), MAX_LINE, "never grown");
    assert_eq!(
        read_line_capped(&mut reader, &mut buf).unwrap(),
        Some(false)
    );
    assert_eq!(buf, b"ok");
    assert_eq!(read_line_capped(&mut reader, &mut buf).unwrap(), None);
}

/// Gives `data`, then fails.
struct FailsAfter(std::io::Cursor<Vec<u8>>);

impl std::io::Read for FailsAfter {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(out)? {
            0 => Err(std::io::Error::other("the disk went away")),
            n => Ok(n),
        }
    }
}

#[tokio::test]
async fn a_read_error_is_the_last_item_with_the_line_it_stopped_at() {
    let input = FailsAfter(std::io::Cursor::new(
        b"one\n\nthree\nfour-unfinish".to_vec(),
    ));
    let seen = items(input).await;
    let seen: Vec<(u64, &str)> = seen.iter().map(|(n, s)| (*n, s.as_str())).collect();
    assert_eq!(
        seen,
        [
            (1, "one"),
            (3, "three"),
            (4, "<read error: the disk went away>")
        ]
    );
}

#[tokio::test]
async fn invalid_lines_are_failed_results_and_a_read_error_ends_the_run() {
    let set = crate::profile::ProfileSet::parse_user_text(
        std::path::Path::new("/tmp/providers.toml"),
        "[[provider]]\nid = \"r\"\nprotocol = \"rfc7009\"\nclient_id = \"c\"\n\
         revocation_endpoint = \"http://127.0.0.1:9/revoke\"\n",
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let profile = set.get("r").unwrap().clone();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tx.send(vec![
        InputLine::Invalid {
            line: 2,
            why: Invalid::NotUtf8,
        },
        InputLine::Invalid {
            line: 5,
            why: Invalid::TooLong,
        },
        InputLine::ReadFailed {
            line: 6,
            error: std::io::Error::other("gone"),
        },
    ])
    .await
    .unwrap();
    let mut results = Vec::new();
    let (summary, stopped) = run(
        EngineConfig::default(),
        profile,
        None,
        TokenKind::RefreshToken,
        4,
        rx,
        |r| results.push(r.clone()),
    )
    .await;
    let (line, error) = stopped.expect("the read error is handed back");
    assert_eq!((line, error.to_string().as_str()), (6, "gone"));
    assert_eq!((summary.total, summary.failed, summary.invalid), (2, 2, 2));
    assert_eq!(results.len(), 2);
    for (r, line) in results.iter().zip([2, 5]) {
        assert_eq!(r.line, line);
        assert_eq!(r.fingerprint, "");
        assert_eq!(r.report.outcome, Outcome::Failed);
        assert_eq!(r.report.attempts, 0);
        let reason = r.report.error.as_ref().unwrap();
        assert_eq!(reason.kind(), ReasonKind::InvalidInput);
        assert_eq!(reason.code(), "invalid_input");
    }
    assert!(
        summary
            .describe()
            .ends_with("2 failed (2 invalid input lines)")
    );
}
