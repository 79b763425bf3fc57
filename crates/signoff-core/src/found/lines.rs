//! Edits of line-based stores (`~/.git-credentials`, `.npmrc`): the lines a predicate picks
//! are deleted, every other byte (comments, blank lines, the last line's missing newline)
//! stays.

/// `text` without the lines `drop` picks; `None` when it picks none.
pub fn remove_lines(text: &str, mut drop: impl FnMut(&str) -> bool) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut dropped = false;
    for line in text.split_inclusive('\n') {
        if drop(line.trim_end_matches(['\n', '\r'])) {
            dropped = true;
        } else {
            out.push_str(line);
        }
    }
    dropped.then_some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_other_lines_byte_for_byte() {
        let text = "# c\r\na=1\nb=2";
        assert_eq!(
            super::remove_lines(text, |l| l == "a=1").as_deref(),
            Some("# c\r\nb=2")
        );
        assert_eq!(super::remove_lines(text, |_| false), None);
    }
}
