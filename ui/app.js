// Signoff's page: shows what the core returns. It never sees a token.
"use strict";

const STATUS_TEXT = {
  signed_in: "Signed in",
  signing_out: "Signing out…",
  pending: "Revocation pending",
  needs_attention: "Needs attention",
};

const ERROR_TEXT = {
  keychain_unavailable: "Signoff cannot reach your keychain. Start your desktop's keyring and try again.",
  keychain_locked: "Your keychain is locked. Unlock it and try again.",
  store_error: "Signoff's account database could not be read.",
};

function invoke(cmd, args) {
  return window.__TAURI__.core.invoke(cmd, args);
}

function formatSince(rfc3339) {
  const d = new Date(rfc3339);
  return isNaN(d) ? rfc3339 : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function renderAccounts(accounts) {
  const rows = document.getElementById("account-rows");
  const frag = document.createDocumentFragment();
  for (const a of accounts) {
    const tr = document.createElement("tr");
    tr.dataset.accountId = a.id;
    tr.className = "account status-" + a.status;
    const who = document.createElement("td");
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = a.label;
    who.append(label);
    if (a.subject) {
      const sub = document.createElement("span");
      sub.className = "subject";
      sub.textContent = a.subject;
      who.append(sub);
    }
    tr.append(who, cell(a.provider_id, "provider"), cell(formatSince(a.created_at), "since"),
      cell(STATUS_TEXT[a.status] || a.status, "status"));
    frag.append(tr);
  }
  rows.replaceChildren(frag);
  document.getElementById("accounts").hidden = accounts.length === 0;
  document.getElementById("empty").hidden = accounts.length !== 0;
  document.getElementById("status").textContent =
    accounts.length === 1 ? "1 account" : accounts.length + " accounts";
}

function showError(err) {
  const code = err && err.code;
  document.getElementById("status").textContent =
    ERROR_TEXT[code] || "Something went wrong (" + (code || "unknown") + ").";
}

async function refresh() {
  try {
    renderAccounts(await invoke("list_accounts"));
  } catch (err) {
    showError(err);
  }
}

document.addEventListener("DOMContentLoaded", refresh);
