//! Schema errors: one line, naming the field, with the reference implementation's wording.

use std::fmt;

use super::json::SyntaxError;
use super::quantity::QuantityError;
use crate::id::IdError;

/// Why a manifest (or a value in it) is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The bytes are not JSON.
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    /// A field holds a value the schema does not allow.
    #[error("{}", FieldDisplay(.field, .reason))]
    Invalid {
        /// Dotted path of the field, e.g. `app.isolators[2].value`; empty for the document.
        field: String,
        /// What is wrong with it.
        reason: Reason,
    },
}

struct FieldDisplay<'a>(&'a String, &'a Reason);

impl fmt::Display for FieldDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            write!(f, "{}", self.1)
        } else {
            write!(f, "{}: {}", self.0, self.1)
        }
    }
}

impl SchemaError {
    /// An error about `field`.
    pub fn at(field: impl Into<String>, reason: impl Into<Reason>) -> Self {
        SchemaError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The reason, when this is not a syntax error.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            SchemaError::Invalid { reason, .. } => Some(reason),
            SchemaError::Syntax(_) => None,
        }
    }
}

/// Why an AC Identifier or AC Name is invalid (the reference's three checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty AC Identifier.
    #[error("ACIdentifier cannot be empty")]
    IdentifierEmpty,
    /// A character outside `[a-z0-9._~/-]`.
    #[error("ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"")]
    IdentifierChar,
    /// Starts or ends with a separator.
    #[error("ACIdentifier must start and end with only lower case alphanumeric characters")]
    IdentifierEdge,
    /// Empty AC Name.
    #[error("ACName cannot be empty")]
    NameEmpty,
    /// A character outside `[a-z0-9-]`.
    #[error("ACName must contain only lower case alphanumeric characters plus \"-\"")]
    NameChar,
    /// Starts or ends with `-`.
    #[error("ACName must start and end with only lower case alphanumeric characters")]
    NameEdge,
}

/// The individual rule a value breaks; `Display` gives the reference's message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reason {
    /// JSON value of the wrong type.
    #[error("cannot unmarshal {found} into Go value of type {expected}")]
    Type {
        /// The JSON kind found.
        found: &'static str,
        /// The Go type expected.
        expected: &'static str,
    },
    /// A JSON number that does not fit the integer type.
    #[error("cannot unmarshal number {text} into Go value of type {expected}")]
    Number {
        /// The number as written.
        text: String,
        /// The Go type expected.
        expected: &'static str,
    },
    /// A bad AC Identifier or AC Name.
    #[error(transparent)]
    Name(#[from] NameError),
    /// `acKind` present but empty.
    #[error("ACKind must be set")]
    KindEmpty,
    /// `acKind` not one of the two kinds.
    #[error("bad ACKind: {0}")]
    KindBad(String),
    /// The document's kind is not the one being parsed.
    #[error("missing or bad ACKind (must be \"{0}\")")]
    KindWrong(&'static str),
    /// Not a go-semver version.
    #[error("SemVer is bad")]
    SemVerBad,
    /// `0.0.0`.
    #[error("SemVer cannot be zero")]
    SemVerZero,
    /// Missing `acVersion`.
    #[error("acVersion must be set")]
    AcVersionRequired,
    /// Missing image `name`.
    #[error("name must be set")]
    NameRequired,
    /// A bad image ID.
    #[error(transparent)]
    Hash(#[from] IdError),
    /// A label called `name`.
    #[error("invalid label name: \"name\"")]
    LabelNameReserved,
    /// Repeated label.
    #[error("duplicate labels of name \"{0}\"")]
    DuplicateLabel(String),
    /// Unknown `os` label value.
    #[error("bad os \"{os}\" (must be one of: [{valid}])")]
    BadOs {
        /// The value given.
        os: String,
        /// The known values, space separated.
        valid: String,
    },
    /// `arch` label value not known for the `os`.
    #[error("bad arch \"{arch}\" for {os} (must be one of: [{valid}])")]
    BadArch {
        /// The value given.
        arch: String,
        /// The os label.
        os: String,
        /// The known values, space separated.
        valid: String,
    },
    /// Repeated annotation.
    #[error("duplicate annotations of name \"{0}\"")]
    DuplicateAnnotation(String),
    /// Not an RFC 3339 timestamp.
    #[error("bad Date: {0}")]
    Date(String),
    /// A URL that does not parse.
    #[error("bad URL: {0}")]
    Url(String),
    /// A URL whose scheme is not http or https.
    #[error("bad URL scheme, must be http/https")]
    UrlScheme,
    /// Environment variable with an empty name.
    #[error("environment variable name must not be empty")]
    EnvNameEmpty,
    /// Environment variable name outside `[A-Za-z_][A-Za-z_0-9.-]*`.
    #[error("environment variable does not have valid identifier \"{0}\"")]
    EnvNameInvalid(String),
    /// Repeated environment variable.
    #[error("duplicate environment variable of name \"{0}\"")]
    DuplicateEnv(String),
    /// Missing `app.user`.
    #[error("user is required")]
    UserRequired,
    /// Missing `app.group`.
    #[error("group is required")]
    GroupRequired,
    /// Relative `workingDirectory`.
    #[error("workingDirectory must be an absolute path")]
    WorkingDirectoryRelative,
    /// Event handler without a name.
    #[error("eventHandler \"name\" cannot be empty")]
    EventHandlerEmpty,
    /// Event handler name other than pre-start / post-stop.
    #[error("bad eventHandler \"name\": \"{0}\"")]
    EventHandlerBad(String),
    /// Two handlers of the same name.
    #[error("Only one eventHandler of name \"{0}\" allowed")]
    EventHandlerDuplicate(String),
    /// Port outside 1..65535.
    #[error("port must be in 1-65535 range")]
    PortRange,
    /// port + count beyond 65536.
    #[error("end of port range must be in 1-65535 range")]
    PortEndRange,
    /// Dependency without `imageName`.
    #[error("imageName cannot be empty")]
    ImageNameEmpty,
    /// Volume or mount point without a name.
    #[error("name must be set")]
    NameMustBeSet,
    /// Mount without a volume.
    #[error("volume must be set")]
    VolumeMustBeSet,
    /// Mount or mount point without a path.
    #[error("path must be set")]
    PathMustBeSet,
    /// Volume kind other than host / empty.
    #[error("unrecognized volume kind: should be one of \"empty\", \"host\"")]
    VolumeKind,
    /// An empty volume with a source.
    #[error("source for empty volume must be empty")]
    EmptyVolumeSource,
    /// A host volume without a source.
    #[error("source for host volume cannot be empty")]
    HostVolumeSourceEmpty,
    /// A host volume with a relative source.
    #[error("source for host volume must be absolute path")]
    HostVolumeSourceRelative,
    /// A host volume with mode, uid or gid.
    #[error("{0} for host volume cannot be set")]
    HostVolumeFieldSet(&'static str),
    /// Two volumes of the same name.
    #[error("duplicate volume name \"{0}\"")]
    DuplicateVolume(String),
    /// Two pod apps of the same name.
    #[error("duplicate apps of name \"{0}\"")]
    DuplicateApp(String),
    /// A pod app image without an ID, when writing.
    #[error("unexpected empty hash type")]
    HashEmpty,
    /// Not an IP address.
    #[error("invalid IP address: {0}")]
    IpAddress(String),
    /// An app isolator the reference does not know, or one without a value.
    #[error("invalid isolator")]
    InvalidIsolator,
    /// seccomp retain and remove together.
    #[error("isolators set contains incompatible types")]
    IncompatibleIsolators,
    /// A single-instance isolator given twice.
    #[error("isolators set contains too many instances of type {0}\"")]
    TooManyIsolators(String),
    /// A capability or seccomp set that is empty.
    #[error("set must be non-empty")]
    SetEmpty,
    /// errno not starting with `E`.
    #[error("errno must start with an 'E' character, got {0}")]
    ErrnoStart(String),
    /// errno with other than upper case letters and digits.
    #[error("errno can only contain upper case or numeric characters, got {0}")]
    ErrnoChars(String),
    /// cpu-shares out of range.
    #[error("os/linux/cpu-shares must be between 2 and 262144, got {0}")]
    CpuShares(i64),
    /// oom-score-adj out of range.
    #[error("os/linux/oom-score-adj must be between -1000 and 1000, got {0}")]
    OomScoreAdj(i64),
    /// A missing or bad SELinux context part.
    #[error("invalid {part} value \"{value}\"")]
    SelinuxPart {
        /// user, role, type or level.
        part: &'static str,
        /// The value given.
        value: String,
    },
    /// An empty AppArmor profile.
    #[error("apparmor profile must be non-empty")]
    ApparmorEmpty,
    /// `default: true` on cpu or memory.
    #[error("default must be false")]
    DefaultMustBeFalse,
    /// `default` not true on block or network isolators.
    #[error("default must be true")]
    DefaultMustBeTrue,
    /// `request` on block or network isolators.
    #[error("request not supported by this resource, must be empty")]
    RequestNotSupported,
    /// A bad resource quantity.
    #[error(transparent)]
    Quantity(#[from] QuantityError),
    /// A UUID that is not 32 hex digits.
    #[error("bad UUID length != 32")]
    UuidLength,
    /// A UUID with non-hex digits.
    #[error("encoding/hex: invalid byte in UUID")]
    UuidHex,
    /// The all-zero UUID.
    #[error("UUID cannot be empty")]
    UuidEmpty,
    /// A CLI `key=value,...` string with a part lacking `=`.
    #[error("malformed string \"{string}\" - has a label without a value: {part}")]
    CliNoValue {
        /// The whole string.
        string: String,
        /// The part without `=`.
        part: String,
    },
    /// A CLI key given twice.
    #[error("label {0} with multiple values")]
    CliRepeated(String),
    /// A CLI key the type does not have.
    #[error("unknown {what} parameter \"{key}\"")]
    CliUnknown {
        /// mountpoint, port or volume.
        what: &'static str,
        /// The key.
        key: String,
    },
    /// A CLI value that is not a bool or integer.
    #[error("invalid value \"{0}\"")]
    CliValue(String),
    /// A CLI key with a bad %-escape or `;`.
    #[error("invalid query key \"{0}\"")]
    CliKey(String),
    /// An app string with its colon after a comma.
    #[error("malformed app string - colon may appear only right after the app name")]
    AppStringColonPlace,
    /// An app string with more than one colon.
    #[error("malformed app string - colon may appear at most once")]
    AppStringColonCount,
}
