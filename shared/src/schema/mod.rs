//! Typed appc schema: image and pod manifests and the types in them.
