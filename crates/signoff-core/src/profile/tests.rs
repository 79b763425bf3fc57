//! Profile loading: built-ins, overrides, and rejection with file, line and reason.

use std::path::Path;

use super::*;

fn user(text: &str) -> ProfileSet {
    ProfileSet::parse_user_text(Path::new("/home/ada/.config/signoff/providers.toml"), text)
}

fn problem_at(set: &ProfileSet, line: usize, needle: &str) {
    assert!(
        set.problems.iter().any(|p| p.line == line
            && p.reason.contains(needle)
            && p.file == Path::new("/home/ada/.config/signoff/providers.toml")),
        "expected a problem at line {line} containing {needle:?}, got {:#?}",
        set.problems
    );
}

#[test]
fn builtins_load_and_say_what_they_miss() {
    let set = user("");
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let meshy = set.get("meshydb").unwrap();
    assert_eq!(meshy.protocol, Protocol::Rfc7009);
    assert_eq!(meshy.token_type_hint, Some(TokenKind::RefreshToken));
    let why = meshy.incomplete.as_deref().unwrap();
    assert!(
        why.contains("params.account") && why.contains("client_id"),
        "{why}"
    );
    let hyper = set.get("hyperid").unwrap();
    assert_eq!(
        hyper.logout_endpoint.as_ref().unwrap().as_str(),
        "https://login.hypersecureid.com/auth/realms/HyperID/protocol/openid-connect/logout"
    );
    assert_eq!(hyper.client_auth, ClientAuth::Post);
    assert_eq!(
        hyper.issuer.as_ref().unwrap().as_str(),
        "https://login.hypersecureid.com/auth/realms/HyperID",
        "Keycloak's realm issuer, for signing in"
    );
    let matar = set.get("matar").unwrap();
    assert_eq!(matar.protocol, Protocol::BearerLogout);
    assert!(
        matar.incomplete.is_none(),
        "bearer logout needs no client id"
    );
    assert_eq!(matar.source, Source::Builtin);
}

#[test]
fn a_user_profile_with_a_builtin_id_fills_it_in() {
    let set = user(
        r#"
[[provider]]
id = "meshydb"
client_id = "pk_acme"
params = { account = "acme" }
"#,
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let meshy = set.get("meshydb").unwrap();
    assert!(meshy.incomplete.is_none());
    assert_eq!(
        meshy.revocation_endpoint.as_ref().unwrap().as_str(),
        "https://api.meshydb.com/acme/connect/revocation"
    );
    assert_eq!(meshy.client_id.as_deref(), Some("pk_acme"));
    assert!(matches!(meshy.source, Source::User { .. }));
    assert!(meshy.can_revoke_on_server());
}

#[test]
fn new_profiles_of_every_protocol_load() {
    let set = user(
        r#"
[[provider]]
id = "corp-oauth"
label = "Corp OAuth"
protocol = "rfc7009"
revocation_endpoint = "https://auth.corp.example/oauth/revoke"
client_id = "signoff"
client_auth = "client_secret_post"

[[provider]]
id = "corp-oidc"
protocol = "oidc"
issuer = "https://id.corp.example/realms/main"
client_id = "signoff"

[[provider]]
id = "local-kc"
protocol = "keycloak-logout"
logout_endpoint = "http://127.0.0.1:8080/realms/x/protocol/openid-connect/logout"
client_id = "c"
signout = "revoke"
revocation_endpoint = "http://[::1]:8080/revoke"
"#,
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    assert_eq!(set.get("corp-oauth").unwrap().client_auth, ClientAuth::Post);
    assert_eq!(set.get("corp-oidc").unwrap().protocol, Protocol::Oidc);
    assert_eq!(set.get("local-kc").unwrap().signout, SignoutMode::Revoke);
    assert_eq!(set.get("corp-oauth").unwrap().label, "Corp OAuth");
    assert_eq!(set.get("corp-oidc").unwrap().label, "corp-oidc");
}

#[test]
fn unknown_protocol_rejects_the_file_with_its_line() {
    let set = user(
        "[[provider]]\nid = \"x\"\nprotocol = \"saml\"\nrevocation_endpoint = \"https://a.example/r\"\n",
    );
    problem_at(&set, 3, "unknown variant");
    assert!(set.get("x").is_err());
    assert!(
        set.get("matar").is_ok(),
        "built-ins survive a broken user file"
    );
}

#[test]
fn unknown_field_is_named_with_its_line() {
    let set = user(
        "[[provider]]\nid = \"x\"\nprotocol = \"rfc7009\"\nrevocation_endpont = \"https://a.example/r\"\n",
    );
    problem_at(&set, 4, "revocation_endpont");
}

#[test]
fn plain_http_off_loopback_is_rejected_at_the_field() {
    let set = user(
        "[[provider]]\nid = \"x\"\nprotocol = \"rfc7009\"\nclient_id = \"c\"\n\
         revocation_endpoint = \"http://auth.example/revoke\"\n\n\
         [[provider]]\nid = \"y\"\nprotocol = \"rfc7009\"\nclient_id = \"c\"\n\
         revocation_endpoint = \"http://127.0.0.1:9/revoke\"\n",
    );
    problem_at(&set, 5, "http:// off loopback");
    assert!(set.get("x").is_err());
    assert!(set.get("y").is_ok(), "loopback http is allowed");
}

#[test]
fn other_schemes_and_credentials_in_urls_are_rejected() {
    let set = user(
        "[[provider]]\nid = \"x\"\nprotocol = \"bearer-logout\"\nlogout_endpoint = \"ftp://a.example/\"\n\n\
         [[provider]]\nid = \"y\"\nprotocol = \"bearer-logout\"\nlogout_endpoint = \"https://u:p@a.example/\"\n\n\
         [[provider]]\nid = \"z\"\nprotocol = \"bearer-logout\"\nlogout_endpoint = \"not a url\"\n",
    );
    problem_at(&set, 4, "must be an https:// URL");
    problem_at(&set, 9, "must not contain a user name or password");
    problem_at(&set, 14, "not a URL");
    assert!(
        !format!("{:?}", set.problems).contains("u:p@"),
        "credentials are not echoed"
    );
}

#[test]
fn missing_endpoint_for_the_protocol_is_rejected() {
    let set = user("[[provider]]\nid = \"x\"\nprotocol = \"keycloak-logout\"\nclient_id = \"c\"\n");
    problem_at(&set, 3, "has no logout_endpoint");
    let set = user("[[provider]]\nid = \"o\"\nprotocol = \"oidc\"\nclient_id = \"c\"\n");
    problem_at(&set, 3, "has no issuer");
    let set = user("[[provider]]\nid = \"p\"\nclient_id = \"c\"\n");
    problem_at(&set, 1, "has no protocol");
}

#[test]
fn duplicate_ids_and_bad_ids_are_rejected() {
    let set = user(
        "[[provider]]\nid = \"dup\"\nprotocol = \"bearer-logout\"\nlogout_endpoint = \"https://a.example/1\"\n\n\
         [[provider]]\nid = \"dup\"\nprotocol = \"bearer-logout\"\nlogout_endpoint = \"https://a.example/2\"\n\n\
         [[provider]]\nid = \"Bad Id\"\nprotocol = \"bearer-logout\"\nlogout_endpoint = \"https://a.example/3\"\n",
    );
    problem_at(
        &set,
        6,
        "duplicate provider id \"dup\" (first defined at line 1)",
    );
    problem_at(&set, 12, "provider id \"Bad Id\"");
    assert_eq!(
        set.get("dup")
            .unwrap()
            .logout_endpoint
            .as_ref()
            .unwrap()
            .path(),
        "/1"
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let set = user("[[provider]]\nid = \"x\"\nprotocol = rfc7009\n");
    problem_at(&set, 3, "whole file was ignored");
}

#[test]
fn system_layer_locks_profiles_against_user_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let system = dir.path().join("system.toml");
    let user_file = dir.path().join("providers.toml");
    std::fs::write(
        &system,
        "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"https://matar.corp.example/logout\"\nlocked = true\n",
    )
    .unwrap();
    std::fs::write(
        &user_file,
        "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"https://evil.example/logout\"\n",
    )
    .unwrap();
    let set = ProfileSet::load_layers(Some(&system), &user_file);
    let matar = set.get("matar").unwrap();
    assert_eq!(
        matar.logout_endpoint.as_ref().unwrap().host_str(),
        Some("matar.corp.example")
    );
    assert!(matar.locked);
    assert!(
        set.problems
            .iter()
            .any(|p| p.file == user_file && p.line == 1 && p.reason.contains("locked")),
        "{:?}",
        set.problems
    );
}

#[test]
fn missing_files_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let set = ProfileSet::load_layers(
        Some(&dir.path().join("nope.toml")),
        &dir.path().join("nope2.toml"),
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    // The three seeds and the twenty of the catalogue, all built in.
    assert_eq!(set.profiles.len(), 23);
}

#[test]
fn how_accounts_are_added_follows_the_profile() {
    let set = user(
        r#"
[[provider]]
id = "meshydb"
client_id = "pk_acme"
params = { account = "acme" }

[[provider]]
id = "corp"
protocol = "oidc"
issuer = "https://id.corp.example"
client_id = "signoff"
"#,
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let meshy = set.get("meshydb").unwrap();
    assert_eq!(meshy.sign_in_method(), SignInMethod::Password);
    assert!(meshy.has_anonymous_users());
    assert_eq!(
        meshy.token_endpoint.as_ref().unwrap().as_str(),
        "https://auth.meshydb.com/acme/connect/token"
    );
    assert_eq!(
        meshy
            .anonymous_registration_endpoint
            .as_ref()
            .unwrap()
            .as_str(),
        "https://api.meshydb.com/acme/users/register/anonymous"
    );
    assert_eq!(meshy.scopes, ["meshy.api"]);
    assert!(meshy.offline_access);
    assert_eq!(
        set.get("corp").unwrap().sign_in_method(),
        SignInMethod::Browser
    );
    assert_eq!(
        set.get("matar").unwrap().sign_in_method(),
        SignInMethod::Paste
    );
    assert_eq!(
        set.get("hyperid").unwrap().sign_in_method(),
        SignInMethod::Paste,
        "incomplete (no client_id): only pasting until it is set up"
    );
}

#[test]
fn overriding_meshydb_with_literal_urls_keeps_it_usable_for_signing_out() {
    // No params.account: the built-in sign-in URLs stay unfilled, which turns password sign-in
    // off but must not make the profile incomplete.
    let set = user(
        r#"
[[provider]]
id = "meshydb"
client_id = "pk_acme"
revocation_endpoint = "https://meshy.corp.example/acme/connect/revocation"
"#,
    );
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let meshy = set.get("meshydb").unwrap();
    assert!(meshy.incomplete.is_none(), "{:?}", meshy.incomplete);
    assert!(meshy.token_endpoint.is_none());
    assert_eq!(meshy.sign_in_method(), SignInMethod::Paste);
}

#[test]
fn sign_in_endpoints_are_checked_like_the_others() {
    let set = user(
        r#"
[[provider]]
id = "shop"
protocol = "bearer-logout"
logout_endpoint = "https://shop.example/logout"
check_endpoint = "http://shop.example/me"

[[provider]]
id = "kiosk"
protocol = "rfc7009"
revocation_endpoint = "https://kiosk.example/revoke"
client_id = "k"
anonymous_registration_endpoint = "https://kiosk.example/register"
"#,
    );
    problem_at(&set, 6, "check_endpoint");
    problem_at(&set, 13, "needs a token_endpoint");
    assert!(set.get("shop").is_err() && set.get("kiosk").is_err());
}

#[test]
fn params_cannot_blow_a_short_file_up_into_a_huge_url() {
    // 2,000 `{v}`s naming one 4 KiB value would fill 8 MB; the URL is refused instead.
    let value = "a".repeat(4096);
    let template = "{v}".repeat(2000);
    let set = user(&format!(
        "[[provider]]\nid = \"big\"\nprotocol = \"rfc7009\"\nclient_id = \"c\"\n\
         revocation_endpoint = \"https://x.example/{template}\"\nparams = {{ v = \"{value}\" }}\n"
    ));
    assert!(set.get("big").is_err());
    problem_at(&set, 5, "longer than 8192 bytes");
    assert!(
        set.problems.iter().all(|p| p.reason.len() < 1024),
        "{:?}",
        set.problems
    );
    // Up to the limit is fine.
    let value = "a".repeat(4000);
    let set = user(&format!(
        "[[provider]]\nid = \"ok\"\nprotocol = \"rfc7009\"\nclient_id = \"c\"\n\
         revocation_endpoint = \"https://x.example/{{v}}/{{v}}\"\nparams = {{ v = \"{value}\" }}\n"
    ));
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    assert!(set.get("ok").unwrap().revocation_endpoint.is_some());
}

#[test]
fn layer_texts_parse_like_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let system = dir.path().join("system.toml");
    let user_file = dir.path().join("user.toml");
    let system_text = "[[provider]]\nid = \"matar\"\nlocked = true\nlogout_endpoint = \"https://matar.corp.example/logout\"\n";
    let user_text = "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"https://evil.example/logout\"\n[[provider]]\nid = \"x\"\n";
    std::fs::write(&system, system_text).unwrap();
    std::fs::write(&user_file, user_text).unwrap();
    let from_files = ProfileSet::load_layers(Some(&system), &user_file);
    let from_texts =
        ProfileSet::parse_layer_texts(Some((&system, system_text)), (&user_file, user_text));
    assert_eq!(from_files.profiles, from_texts.profiles);
    assert_eq!(from_files.problems, from_texts.problems);
    assert_eq!(from_texts.problems.len(), 2, "{:?}", from_texts.problems);
}

#[test]
fn a_system_file_that_cannot_be_trusted_or_parsed_keeps_every_user_profile_out() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let system = dir.path().join("system.toml");
    let user_file = dir.path().join("providers.toml");
    std::fs::write(
        &user_file,
        "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"https://evil.example/logout\"\n",
    )
    .unwrap();
    let evil_is_out = |set: &ProfileSet| {
        let matar = set.get("matar").unwrap();
        assert_ne!(
            matar.logout_endpoint.as_ref().unwrap().host_str(),
            Some("evil.example"),
            "{:?}",
            set.problems
        );
        assert!(
            set.problems
                .iter()
                .any(|p| p.file == user_file && p.reason.contains("ignored")),
            "{:?}",
            set.problems
        );
    };
    // Its locks are unknown when it does not parse...
    std::fs::write(&system, "[[provider]]\nid = \"matar\"\nlocked = tru\n").unwrap();
    evil_is_out(&ProfileSet::load_layers(Some(&system), &user_file));
    // ...and when anyone could have written it (it must be root's and not writable by others).
    std::fs::write(
        &system,
        "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"https://matar.corp.example/logout\"\nlocked = true\n",
    )
    .unwrap();
    std::fs::set_permissions(&system, std::fs::Permissions::from_mode(0o666)).unwrap();
    let set = ProfileSet::load_layers(Some(&system), &user_file);
    evil_is_out(&set);
    assert!(
        set.problems
            .iter()
            .any(|p| p.file == system && p.reason.contains("may be written by anyone")),
        "{:?}",
        set.problems
    );
}
