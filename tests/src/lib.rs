//! Helpers for the workspace-level end-to-end tests.
