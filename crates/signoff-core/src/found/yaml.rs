//! Surgical edits of other tools' YAML (gh's `hosts.yml`, glab's `config.yml`, kubeconfig):
//! the lines holding a secret are deleted and every other byte stays (comments, order, other
//! hosts). The result is checked by parsing both versions: it must be the original tree minus
//! exactly those entries, or nothing is written.

use serde_norway::Value;

/// Parses YAML into a tree (for reading a store).
pub fn parse(text: &str) -> Result<Value, String> {
    serde_norway::from_str(text).map_err(|e| match e.location() {
        Some(l) => format!("not valid YAML (line {}, column {})", l.line(), l.column()),
        None => "not valid YAML".into(),
    })
}

/// The string at `key` of a mapping.
pub fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The entries of a mapping whose keys are strings.
pub fn entries(v: &Value) -> Vec<(&str, &Value)> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?, v)))
                .collect()
        })
        .unwrap_or_default()
}

/// Removes every block-mapping entry whose value is one of `secrets`; `Ok(None)` when none is
/// there. Refuses (with the reason) when a secret is written in a way a line edit cannot
/// remove cleanly (a flow mapping, a multi-line scalar, the first key of a list item).
pub fn remove_entries(text: &str, secrets: &[&str]) -> Result<Option<String>, String> {
    let original = parse(text)?;
    let mut out = String::with_capacity(text.len());
    let mut removed = 0;
    for line in text.split_inclusive('\n') {
        if !secrets.iter().any(|s| !s.is_empty() && line.contains(s)) {
            out.push_str(line);
            continue;
        }
        match entry_value(line) {
            Some((false, value)) if secrets.contains(&value.as_str()) => removed += 1,
            Some((true, _)) => {
                return Err("the token is the first key of a list item".into());
            }
            _ => return Err("the token is not on a line of its own".into()),
        }
    }
    if removed == 0 {
        return Ok(None);
    }
    let expected = without(&original, secrets);
    let got = if out.trim().is_empty() {
        Value::Null
    } else {
        parse(&out).map_err(|e| format!("the edit would break the file: {e}"))?
    };
    if got != expected {
        return Err("the edit would change more than the token's entries".into());
    }
    Ok(Some(out))
}

/// `key: value` on one line: whether it starts a list item (`- key: value`) and the value
/// unquoted. `None` for anything else.
fn entry_value(line: &str) -> Option<(bool, String)> {
    let body = line.trim_end_matches(['\n', '\r']).trim_start();
    let (item, body) = match body.strip_prefix("- ") {
        Some(rest) => (true, rest.trim_start()),
        None => (false, body),
    };
    let (key, value) = split_key(body)?;
    if key.is_empty() {
        return None;
    }
    let value = value.trim();
    let value = match value.find(" #") {
        Some(i) if !value.starts_with(['"', '\'']) => value[..i].trim_end(),
        _ => value,
    };
    let unquoted = if let Some(v) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        // Only the escapes a token could need; anything else is not a token this reads.
        if v.contains('\\') {
            return None;
        }
        v.to_owned()
    } else if let Some(v) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        v.replace("''", "'")
    } else {
        if value.starts_with(['{', '[', '|', '>', '&', '*', '!']) {
            return None;
        }
        value.to_owned()
    };
    Some((item, unquoted))
}

/// Splits `key: value` at the first `": "` outside quotes.
fn split_key(body: &str) -> Option<(&str, &str)> {
    if let Some(q) = body.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = body[1..].find(q)? + 1;
        let rest = body[end + 1..].strip_prefix(':')?;
        return Some((&body[1..end], rest));
    }
    let i = body.find(": ")?;
    Some((&body[..i], &body[i + 1..]))
}

/// `v` without the mapping entries whose value is one of `secrets`; a mapping left empty by
/// that becomes null (as its key alone on a line parses).
fn without(v: &Value, secrets: &[&str]) -> Value {
    match v {
        Value::Mapping(m) => {
            let mut out = serde_norway::Mapping::new();
            let mut dropped = false;
            for (k, val) in m {
                if val.as_str().is_some_and(|s| secrets.contains(&s)) {
                    dropped = true;
                    continue;
                }
                out.insert(k.clone(), without(val, secrets));
            }
            if dropped && out.is_empty() {
                Value::Null
            } else {
                Value::Mapping(out)
            }
        }
        Value::Sequence(s) => Value::Sequence(s.iter().map(|x| without(x, secrets)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_the_token_lines_and_keeps_everything_else() {
        let text = "# gh\ngithub.com:\n    user: octocat\n    oauth_token: gho_secret # mine\n    git_protocol: https\nghe.corp:\n    oauth_token: gho_other\n";
        let out = remove_entries(text, &["gho_secret"]).unwrap().unwrap();
        assert_eq!(
            out,
            "# gh\ngithub.com:\n    user: octocat\n    git_protocol: https\nghe.corp:\n    oauth_token: gho_other\n"
        );
        assert_eq!(remove_entries(&out, &["gho_secret"]).unwrap(), None);
    }

    #[test]
    fn quoted_values_match_and_odd_layouts_are_refused() {
        let text = "a:\n  token: 'x''y'\n  b: \"tok\"\n";
        let out = remove_entries(text, &["x'y", "tok"]).unwrap().unwrap();
        assert_eq!(out, "a:\n");
        assert!(remove_entries("a: {token: tok}\n", &["tok"]).is_err());
        assert!(remove_entries("l:\n- token: tok\n  other: 1\n", &["tok"]).is_err());
        assert!(remove_entries("a:\n  note: has tok inside\n", &["tok"]).is_err());
        assert!(remove_entries("a: [\n", &["tok"]).is_err());
    }
}
