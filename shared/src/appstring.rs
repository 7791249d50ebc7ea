//! App strings: `name[:version][,label=value...]`, as on the reference tools' command lines.
