//! The supervisors' pages speak Chinese all the way (issue 15, part 1): a walk through every
//! page reachable from the overview of the demo district, in zh, that fails on any English word,
//! raw code or placeholder a reader would see where a name or a Chinese word belongs.
//!
//! What counts as seen: the text between tags, and the `title`, `placeholder`, `alt`,
//! `aria-label` attributes and the labels of buttons. Scripts and styles are not read.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use gridwalk_server::server::open_data;
use gridwalk_tests::TestServer;
use gridwalk_tests::web_client::Browser;

/// English a Chinese page may show: the switch to the English page, file formats as offices
/// name them, and the product's name.
const ALLOWED: &[&str] = &["English", "XLSX", "CSV", "Excel", "WPS", "GPS"];

/// The demo district at a small size, served.
fn demo_server(dir: &std::path::Path) -> TestServer {
    let data = open_data(dir, Duration::from_secs(3600)).unwrap();
    gridwalk_server::demo::seed_if_empty(&data, 200).unwrap();
    drop(data);
    TestServer::start(dir)
}

/// The text a reader sees on `html`: text nodes and the visible attributes.
fn visible_text(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    // Drop scripts and styles whole.
    let mut cleaned = String::with_capacity(html.len());
    while let Some(start) = rest.find('<') {
        cleaned.push_str(&rest[..start]);
        let tail = &rest[start..];
        let lower = tail.get(..8).unwrap_or(tail).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            tail.find("</script>").map(|i| i + 9)
        } else if lower.starts_with("<style") {
            tail.find("</style>").map(|i| i + 8)
        } else {
            None
        };
        if let Some(end) = skip_to {
            rest = &tail[end..];
            continue;
        }
        let Some(end) = tail.find('>') else { break };
        let tag = &tail[..=end];
        for attr in ["title", "placeholder", "alt", "aria-label"] {
            if let Some(v) = attribute(tag, attr) {
                out.push(v);
            }
        }
        cleaned.push(' ');
        rest = &tail[end + 1..];
    }
    cleaned.push_str(rest);
    out.extend(
        cleaned
            .lines()
            .map(|l| decode_entities(l.trim()))
            .filter(|l| !l.is_empty()),
    );
    out
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')?;
    Some(decode_entities(&tag[start..start + end]))
}

fn decode_entities(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&#x2f;", "/")
}

/// What in `line` a Chinese reader should not see: English words, our internal codes, record
/// ids, "None".
fn offences(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for token in
        line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
    {
        let token = token.trim_matches(|c| c == '.' || c == '-');
        if token.is_empty() {
            continue;
        }
        let letters = token.chars().filter(|c| c.is_ascii_alphabetic()).count();
        let digits = token.chars().filter(|c| c.is_ascii_digit()).count();
        if ALLOWED.contains(&token) {
            continue;
        }
        // An English word or a snake_case code: two letters or more, no digit.
        if letters >= 2 && digits == 0 {
            found.push(token.to_owned());
            continue;
        }
        // A place code (C01, C01-G01, C01-Q01-B01-1-101, P03) or a record id shown as text.
        let code = letters >= 1
            && digits >= 1
            && token.chars().next().is_some_and(|c| c.is_ascii_uppercase());
        let hex_id = token.len() >= 8
            && token.chars().all(|c| c.is_ascii_hexdigit())
            && letters >= 1
            && digits >= 1;
        if code || hex_id {
            found.push(token.to_owned());
        }
    }
    found
}

/// The page's pattern: ids and numbers folded, so a walk visits a few pages of each kind.
fn pattern(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) || seg.contains('.') {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(end) = rest.find('"') else { break };
        let href = decode_entities(&rest[..end]);
        if href.starts_with("/web") {
            out.push(href);
        }
    }
    out
}

async fn walk(me: &Browser) -> BTreeMap<String, BTreeSet<String>> {
    let mut seen = BTreeSet::new();
    let mut per_pattern: BTreeMap<String, usize> = BTreeMap::new();
    let mut queue = VecDeque::from(["/web".to_owned()]);
    let mut bad: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        // Not pages: downloads, photos, the language switch (the walk stays in zh).
        if path.contains("/export/")
            || path.contains("/photos/")
            || path.split('?').next().unwrap_or(&path).ends_with(".xlsx")
            || path.contains("bad-rows")
            || path.contains("lang=")
        {
            continue;
        }
        let count = per_pattern.entry(pattern(&path)).or_default();
        if *count >= 3 || !seen.insert(path.clone()) || pages >= 150 {
            continue;
        }
        *count += 1;
        pages += 1;
        let (status, html) = me.get(&path).await;
        assert_eq!(status, 200, "{path}");
        for line in visible_text(&html) {
            for word in offences(&line) {
                bad.entry(word)
                    .or_default()
                    .insert(format!("{path}: {line}"));
            }
        }
        queue.extend(links(&html));
    }
    assert!(pages >= 8, "the walk reached only {pages} pages");
    bad
}

fn report(bad: &BTreeMap<String, BTreeSet<String>>) -> String {
    bad.iter()
        .map(|(word, places)| {
            let first: Vec<_> = places
                .iter()
                .take(2)
                .map(|p| p.chars().take(160).collect::<String>())
                .collect();
            format!(
                "  {word:?} ({} places), e.g. {}",
                places.len(),
                first.join(" | ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_a_supervisor_reaches_is_chinese_with_names_not_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(dir.path());
    let (me, status) =
        Browser::sign_in_with(&server.url, "zhang.supervisor", "supervisor-demo").await;
    assert_eq!(status, 303, "signed in");
    let mut bad = walk(&me).await;
    // Pages no link leads to: a refusal, a record that is not there.
    for (path, status) in [
        ("/web/households?grid=C02-G01", 403),
        ("/web/households/0123456789abcdef0123456789abcdef", 404),
        ("/web/orders/0123456789abcdef0123456789abcdef", 404),
        ("/web/workers/nobody", 404),
        // The lists' searches, filters, sorts and pages (part 5).
        (
            "/web/households?grid=C01-G01&q=w&never=1&group=elderly_alone&sort=visit&page=1",
            200,
        ),
        (
            "/web/households?grid=C01-G01&q=%E6%A5%BC&sort=findings",
            200,
        ),
        (
            "/web/orders?filter=overdue&q=%E6%95%B4%E6%94%B9&sort=title&page=2",
            200,
        ),
        ("/web/orders?filter=status:issued&sort=latest&page=99", 200),
        // Issue reports and their actions (part 6).
        ("/web/reports?status=closed&page=2", 200),
        ("/web/reports?status=reopened", 200),
        ("/web/reports/0123456789abcdef0123456789abcdef", 404),
        // The 大屏 and the pictures (parts 3 and 4; the overview links to the 大屏 too).
        ("/web/screen", 200),
        ("/web/ratings", 200),
        ("/web/workers?from=2026-13-40&to=yesterday", 200),
        ("/web/workers?from=2026-11-01&to=2026-11-30", 200),
        ("/web/workers/nobody?from=2026-11-01&to=2026-11-30", 404),
    ] {
        let (got, html) = me.get(path).await;
        assert_eq!(got, status, "{path}");
        for line in visible_text(&html) {
            for word in offences(&line) {
                // The 404 page may repeat the id the reader asked for.
                if status == 404 && path.ends_with(&word) {
                    continue;
                }
                bad.entry(word)
                    .or_default()
                    .insert(format!("{path}: {line}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "English, codes or ids on the Chinese pages:\n{}",
        report(&bad)
    );
}

#[test]
fn the_walk_sees_what_it_must() {
    let page = r#"<html><head><style>body { font-family: sans-serif; }</style>
        <script>let x = "hidden";</script></head><body><h1>总览</h1>
        <td>owner_occupied</td><td>C01-Q01-B01-1-101</td><a href="/web/households/01a22d16">01a22d16</a>
        <input placeholder="Search"><td>None</td><td>王伟</td><td>138****8000</td>
        <a href="?lang=en">English</a><td>导出 XLSX</td></body></html>"#;
    let words: Vec<String> = visible_text(page)
        .iter()
        .flat_map(|l| offences(l))
        .collect();
    assert_eq!(
        words,
        [
            "Search",
            "owner_occupied",
            "C01-Q01-B01-1-101",
            "01a22d16",
            "None"
        ]
    );
}
