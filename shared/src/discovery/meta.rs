//! Reading `ac-discovery` and `ac-discovery-pubkeys` meta tags out of an HTML page.

use html5gum::{DefaultEmitter, State, Token, Tokenizer};

/// Which of the two discovery meta tags a [`MetaTag`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    /// `<meta name="ac-discovery" content="PREFIX TEMPLATE">`.
    AciTemplate,
    /// `<meta name="ac-discovery-pubkeys" content="PREFIX URL">`.
    PublicKeys,
}

/// One usable discovery meta tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaTag {
    /// Which tag it is.
    pub kind: MetaKind,
    /// The name prefix the tag applies to.
    pub prefix: String,
    /// The URL template (`AciTemplate`) or public key URL (`PublicKeys`).
    pub value: String,
}

impl MetaTag {
    /// True when the tag applies to `name`: a plain string prefix test, as in the reference.
    pub fn applies_to(&self, name: &str) -> bool {
        name.starts_with(&self.prefix)
    }
}

/// The discovery meta tags of an HTML document, in document order.
///
/// Tags anywhere count (head or body), but not inside comments or raw-text elements such as
/// `<script>`, since a real tokenizer reads the page. A tag missing the prefix or the value is
/// skipped, as are other meta tags.
pub fn parse_meta_tags(html: &[u8]) -> Vec<MetaTag> {
    let mut emitter = DefaultEmitter::default();
    // Without this, `<script>` bodies would be read as markup and could yield tags.
    emitter.naively_switch_states(true);
    let mut tokenizer = Tokenizer::new_with_emitter(html, emitter);
    let mut tags = Vec::new();
    while let Some(token) = tokenizer.next() {
        let Ok(Token::StartTag(tag)) = token else {
            continue;
        };
        // html5gum's list lacks `noframes`, which the reference's tokenizer reads as raw text.
        if tag.name.as_slice() == b"noframes" && !tag.self_closing {
            tokenizer.set_state(State::RawText);
            continue;
        }
        if tag.name.as_slice() != b"meta" {
            continue;
        }
        let attr = |key: &str| {
            tag.attributes
                .get(key.as_bytes())
                .map(|v| String::from_utf8_lossy(v.value.as_slice()).into_owned())
        };
        let kind = match attr("name").as_deref() {
            Some("ac-discovery") => MetaKind::AciTemplate,
            Some("ac-discovery-pubkeys") => MetaKind::PublicKeys,
            _ => continue,
        };
        let Some(content) = attr("content") else {
            continue;
        };
        if let Some((prefix, value)) = split_content(&content) {
            tags.push(MetaTag {
                kind,
                prefix: prefix.to_string(),
                value: value.to_string(),
            });
        }
    }
    tags
}

/// Splits a `content` attribute into prefix and value: trimmed, cut at the first whitespace,
/// and both parts required.
pub fn split_content(content: &str) -> Option<(&str, &str)> {
    let (prefix, value) = content.trim().split_once(char::is_whitespace)?;
    let value = value.trim();
    if prefix.is_empty() || value.is_empty() {
        return None;
    }
    Some((prefix, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(kind: MetaKind, prefix: &str, value: &str) -> MetaTag {
        MetaTag {
            kind,
            prefix: prefix.into(),
            value: value.into(),
        }
    }

    #[test]
    fn finds_both_tags_in_document_order() {
        let html = br#"<!DOCTYPE html><html><head><title>My app</title>
            <meta name="ac-discovery" content="example.com https://s.example.com/{name}.{ext}">
            <meta name="ac-discovery-pubkeys" content="example.com https://example.com/k.gpg">
            <meta name="ac-discovery" content="example.com hdfs://s.example.com/{name}.{ext}">
            </head><body></body></html>"#;
        assert_eq!(
            parse_meta_tags(html),
            vec![
                tag(
                    MetaKind::AciTemplate,
                    "example.com",
                    "https://s.example.com/{name}.{ext}"
                ),
                tag(
                    MetaKind::PublicKeys,
                    "example.com",
                    "https://example.com/k.gpg"
                ),
                tag(
                    MetaKind::AciTemplate,
                    "example.com",
                    "hdfs://s.example.com/{name}.{ext}"
                ),
            ]
        );
    }

    #[test]
    fn tags_in_body_self_closing_and_unquoted_count() {
        let html = b"<body><p><META NAME=ac-discovery CONTENT='a b'/></p>\
            <meta content=\"c d\" name=\"ac-discovery-pubkeys\"></body>";
        assert_eq!(
            parse_meta_tags(html),
            vec![
                tag(MetaKind::AciTemplate, "a", "b"),
                tag(MetaKind::PublicKeys, "c", "d")
            ]
        );
    }

    #[test]
    fn comments_scripts_and_other_metas_are_ignored() {
        let html = br#"<head>
            <!-- <meta name="ac-discovery" content="x commented"> -->
            <script>var s = '<meta name="ac-discovery" content="x script">';</script>
            <style>/* <meta name="ac-discovery" content="x style"> */</style>
            <title><meta name="ac-discovery" content="x title"></title>
            <noscript><meta name="ac-discovery" content="x noscript"></noscript>
            <noframes><meta name="ac-discovery" content="x noframes"></noframes>
            <textarea><meta name="ac-discovery" content="x textarea"></textarea>
            <meta name="description" content="x other">
            <meta name="ac-discovery-other" content="x unknown">
            <meta name="AC-DISCOVERY" content="x uppercase-value">
            <meta name="ac-discovery" content="x real">
            </head>"#;
        assert_eq!(
            parse_meta_tags(html),
            vec![tag(MetaKind::AciTemplate, "x", "real")]
        );
    }

    #[test]
    fn content_needs_a_prefix_and_a_value() {
        let html = br#"
            <meta name="ac-discovery" content="onlyprefix">
            <meta name="ac-discovery" content="   ">
            <meta name="ac-discovery">
            <meta name="ac-discovery" content="  p   https://x/{name}  ">"#;
        assert_eq!(
            parse_meta_tags(html),
            vec![tag(MetaKind::AciTemplate, "p", "https://x/{name}")]
        );
    }

    #[test]
    fn split_content_cuts_at_first_whitespace_only() {
        assert_eq!(split_content("a b c"), Some(("a", "b c")));
        assert_eq!(split_content("\ta\t\nb "), Some(("a", "b")));
        assert_eq!(split_content("a"), None);
        assert_eq!(split_content(""), None);
    }

    #[test]
    fn entities_in_attributes_are_decoded() {
        let html = br#"<meta name="ac-discovery" content="e.com https://s/{name}?a=1&amp;b=2">"#;
        assert_eq!(parse_meta_tags(html)[0].value, "https://s/{name}?a=1&b=2");
    }

    #[test]
    fn broken_and_binary_input_does_not_panic() {
        for input in [
            &b"<meta name=\"ac-discovery\" content=\"a"[..],
            b"<<<>>><meta",
            b"\xff\xfe\x00<meta name=ac-discovery content='p v'>",
            b"",
        ] {
            let _ = parse_meta_tags(input);
        }
        assert_eq!(
            parse_meta_tags(b"\xff\xfe\x00<meta name=ac-discovery content='p v'>").len(),
            1
        );
    }

    #[test]
    fn applies_to_is_a_plain_prefix_test() {
        let t = tag(MetaKind::AciTemplate, "example.com", "v");
        assert!(t.applies_to("example.com/app"));
        assert!(t.applies_to("example.com"));
        assert!(t.applies_to("example.community/app"));
        assert!(!t.applies_to("other.com/app"));
    }
}
