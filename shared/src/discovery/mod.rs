//! appc meta discovery: from an app name and labels to ACI, signature and public key URLs.
