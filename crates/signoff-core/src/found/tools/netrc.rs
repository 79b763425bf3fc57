//! `~/.netrc` (`$NETRC`): whitespace-separated `machine <host> login <user> password <secret>`
//! entries (curl, git's netrc helper, ftp, Python's `netrc`), `default` for any host, `macdef`
//! bodies up to a blank line. Signing out removes the whole entry of that machine. Sources:
//! inetutils `ftp(1)` "The .netrc file", curl `lib/netrc.c`.

use std::ops::Range;
use std::path::PathBuf;

use super::{read_or_report, remove_in_file};
use crate::found::edit::EditError;
use crate::found::{Env, Place, Removed, Sighting, Tool, ToolId, ToolScan, revoker};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Netrc;

/// One entry: its host (`None` for `default`), login, password and where it is in the text.
#[derive(Debug)]
struct Entry {
    host: Option<String>,
    login: Option<String>,
    password: Option<String>,
    span: Range<usize>,
}

/// Words with their byte offsets; a `macdef` body (to the next blank line) is skipped.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let w = &text[start..i];
        out.push((start, w));
        if w == "macdef" {
            // Its name and body, up to an empty line, are not words of entries.
            match text[i..].find("\n\n") {
                Some(end) => i += end + 2,
                None => i = bytes.len(),
            }
        }
    }
    out
}

fn entries(text: &str) -> Vec<Entry> {
    let w = words(text);
    let mut out: Vec<Entry> = Vec::new();
    let mut k = 0;
    while k < w.len() {
        let (at, word) = w[k];
        match word {
            "machine" | "default" => {
                if let Some(last) = out.last_mut() {
                    last.span.end = at;
                }
                let host = (word == "machine")
                    .then(|| w.get(k + 1).map(|x| x.1.to_owned()))
                    .flatten();
                k += if word == "machine" { 2 } else { 1 };
                out.push(Entry {
                    host,
                    login: None,
                    password: None,
                    span: at..text.len(),
                });
                continue;
            }
            "login" | "password" | "account" => {
                let value = w.get(k + 1).map(|x| x.1.to_owned());
                if let Some(e) = out.last_mut() {
                    match word {
                        "login" => e.login = value,
                        "password" => e.password = value,
                        _ => {}
                    }
                }
                k += 2;
                continue;
            }
            "macdef" => {
                if let Some(last) = out.last_mut() {
                    last.span.end = at;
                }
                // `words` skipped its name and body already.
                k += 1;
                continue;
            }
            _ => k += 1,
        }
    }
    out
}

impl Netrc {
    fn file(env: &Env) -> PathBuf {
        env.var("NETRC")
            .map(PathBuf::from)
            .unwrap_or_else(|| env.in_home(".netrc"))
    }
}

impl Tool for Netrc {
    fn id(&self) -> ToolId {
        ToolId::Netrc
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let path = Self::file(env);
        let Some(text) = read_or_report(ToolId::Netrc, &path, &mut out.problems) else {
            return out;
        };
        for e in entries(&text) {
            let Some(password) = e.password.filter(|p| !p.is_empty()) else {
                continue;
            };
            let secret = SecretString::new(password);
            out.sightings.push(Sighting {
                tool: ToolId::Netrc,
                place: Place::File {
                    path: path.clone(),
                    entry: format!("machine {}", e.host.as_deref().unwrap_or("default")),
                },
                revoker: revoker::for_host_token(e.host.as_deref(), &secret),
                user: e.login,
                host: e.host,
                secret,
                kind: TokenKind::AccessToken,
                also: Vec::new(),
                client_secret: None,
            });
        }
        out
    }

    fn remove(
        &self,
        env: &Env,
        place: &Place,
        secrets: &[&SecretString],
    ) -> Result<Removed, EditError> {
        remove_in_file(env, ToolId::Netrc, place, secrets, |text| {
            let plain = super::exposed(secrets);
            let mut drop: Vec<Range<usize>> = entries(text)
                .into_iter()
                .filter(|e| e.password.as_deref().is_some_and(|p| plain.contains(&p)))
                .map(|e| e.span)
                .collect();
            if drop.is_empty() {
                return Ok(None);
            }
            drop.sort_by_key(|r| std::cmp::Reverse(r.start));
            let mut out = text.to_owned();
            for r in drop {
                out.replace_range(r, "");
            }
            Ok(Some(out.into()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    #[test]
    fn one_entry_goes_the_others_stay() {
        let home = tempfile::tempdir().unwrap();
        let p = write(
            home.path(),
            ".netrc",
            "machine github.com\n  login octocat\n  password ghp_x\nmachine ftp.example.com login me password pw\nmacdef init\ncd /\n\ndefault login anonymous password me@\n",
            0o600,
        );
        let e = env(home.path(), &[]);
        let found = scan_ok(&Netrc, &e);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].user.as_deref(), Some("octocat"));
        assert_eq!(found[0].revoker.provider_id(), "github");
        assert!(!found[1].revoker.can_revoke());
        Netrc
            .remove(&e, &found[0].place, &[&found[0].secret])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(p).unwrap(),
            "machine ftp.example.com login me password pw\nmacdef init\ncd /\n\ndefault login anonymous password me@\n"
        );
    }
}
