//! App Container Images: format sniffing, streaming reading and deterministic writing.
