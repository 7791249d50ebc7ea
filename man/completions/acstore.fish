# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_acstore_global_optspecs
    string join \n store-dir= h/help V/version
end

function __fish_acstore_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_acstore_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_acstore_using_subcommand
    set -l cmd (__fish_acstore_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c acstore -n "__fish_acstore_needs_command" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_needs_command" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_needs_command" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "import" -d 'Import ACIs (any compression); print one image reference line per image'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "ls" -d 'List stored images'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "list" -d 'List stored images'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "find" -d 'Print the ID of the image a reference names'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "cat-manifest" -d 'Print the manifest of a stored image'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "export" -d 'Write a stored image out as an ACI'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "extract" -d 'Extract an image\'s own rootfs (no dependencies) into an empty directory'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "render" -d 'Render an image with its dependencies; print the cached tree\'s rootfs path (or copy it to DEST)'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "rm" -d 'Remove images'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "gc" -d 'Remove images and trees unused for the grace period, and leftovers of interrupted work'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "verify" -d 'Re-hash images and re-check rendered trees; with --repair, remove what is damaged'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "generate-docs" -d 'Write man pages and shell completions into DIR'
complete -c acstore -n "__fish_acstore_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c acstore -n "__fish_acstore_using_subcommand import" -l max-size -d 'Refuse an image whose decompressed tar is larger than this (e.g. 500M, 2G)' -r
complete -c acstore -n "__fish_acstore_using_subcommand import" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand import" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand import" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand ls" -l fields -d 'Columns to show: id,name,version,labels,size,importtime,lastused,source' -r
complete -c acstore -n "__fish_acstore_using_subcommand ls" -l sort -d 'Sort by this field' -r
complete -c acstore -n "__fish_acstore_using_subcommand ls" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand ls" -l json -d 'Print JSON lines (the image reference lines) instead of a table'
complete -c acstore -n "__fish_acstore_using_subcommand ls" -l full -d 'Show full image IDs'
complete -c acstore -n "__fish_acstore_using_subcommand ls" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand ls" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand list" -l fields -d 'Columns to show: id,name,version,labels,size,importtime,lastused,source' -r
complete -c acstore -n "__fish_acstore_using_subcommand list" -l sort -d 'Sort by this field' -r
complete -c acstore -n "__fish_acstore_using_subcommand list" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand list" -l json -d 'Print JSON lines (the image reference lines) instead of a table'
complete -c acstore -n "__fish_acstore_using_subcommand list" -l full -d 'Show full image IDs'
complete -c acstore -n "__fish_acstore_using_subcommand list" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand list" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand find" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand find" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand find" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand cat-manifest" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand cat-manifest" -l pretty-print -d 'Print it indented'
complete -c acstore -n "__fish_acstore_using_subcommand cat-manifest" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand cat-manifest" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand export" -s o -l output -d 'Where to write it (`-` for stdout)' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand export" -l compression -d 'Compression of the output' -r -f -a "gzip\t'gzip, compressed on all cores'
bzip2\t'bzip2'
xz\t'xz'
zstd\t'zstd'
none\t'A plain tar'"
complete -c acstore -n "__fish_acstore_using_subcommand export" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand export" -l overwrite -d 'Overwrite the output file if it exists'
complete -c acstore -n "__fish_acstore_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c acstore -n "__fish_acstore_using_subcommand export" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand extract" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand extract" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand extract" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand render" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand render" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand render" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand rm" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand rm" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand rm" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand gc" -l grace-period -d 'How long since last use before an image or tree goes (e.g. 30s, 10m, 24h, 7d)' -r
complete -c acstore -n "__fish_acstore_using_subcommand gc" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand gc" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand gc" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand verify" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand verify" -l repair -d 'Remove damaged images and trees'
complete -c acstore -n "__fish_acstore_using_subcommand verify" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand verify" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand generate-docs" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acstore -n "__fish_acstore_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c acstore -n "__fish_acstore_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "import" -d 'Import ACIs (any compression); print one image reference line per image'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "ls" -d 'List stored images'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "find" -d 'Print the ID of the image a reference names'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "cat-manifest" -d 'Print the manifest of a stored image'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "export" -d 'Write a stored image out as an ACI'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "extract" -d 'Extract an image\'s own rootfs (no dependencies) into an empty directory'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "render" -d 'Render an image with its dependencies; print the cached tree\'s rootfs path (or copy it to DEST)'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "rm" -d 'Remove images'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "gc" -d 'Remove images and trees unused for the grace period, and leftovers of interrupted work'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "verify" -d 'Re-hash images and re-check rendered trees; with --repair, remove what is damaged'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "generate-docs" -d 'Write man pages and shell completions into DIR'
complete -c acstore -n "__fish_acstore_using_subcommand help; and not __fish_seen_subcommand_from import ls find cat-manifest export extract render rm gc verify generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
