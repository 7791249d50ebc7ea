# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_acfetch_global_optspecs
    string join \n o/output= store-dir= config-dir= insecure-options= pull-policy= ca-cert= max-size= retries= timeout= discovery-port= progress= h/help V/version
end

function __fish_acfetch_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_acfetch_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_acfetch_using_subcommand
    set -l cmd (__fish_acfetch_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c acfetch -n "__fish_acfetch_needs_command" -s o -l output -d 'Write the verified ACI to FILE (`-` for stdout) instead of storing it' -r -F
complete -c acfetch -n "__fish_acfetch_needs_command" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acfetch -n "__fish_acfetch_needs_command" -l config-dir -d 'Use only this configuration directory (trustedkeys/, auth.d/) instead of /usr/lib/appc, /etc/appc and $XDG_CONFIG_HOME/appc' -r -F
complete -c acfetch -n "__fish_acfetch_needs_command" -l insecure-options -d 'Security checks to switch off, comma separated: none, http, tls, image (no signature check), pubkey, all-fetch, all. Each is warned about' -r
complete -c acfetch -n "__fish_acfetch_needs_command" -l pull-policy -d 'When to use the network: never (store only), new (only if not stored), update (ask the server; cached answers are revalidated cheaply)' -r -f -a "never\t'Only the store'
new\t'The store if it has the image, else the network'
update\t'Always ask the server'"
complete -c acfetch -n "__fish_acfetch_needs_command" -l ca-cert -d 'Also trust the CA certificates in this PEM file (repeatable; SSL_CERT_FILE replaces the system store)' -r -F
complete -c acfetch -n "__fish_acfetch_needs_command" -l max-size -d 'Refuse downloads larger than this many bytes' -r
complete -c acfetch -n "__fish_acfetch_needs_command" -l retries -d 'Extra attempts after a transient network failure (backoff doubles from 0.5 s)' -r
complete -c acfetch -n "__fish_acfetch_needs_command" -l timeout -d 'Seconds one network read may block' -r
complete -c acfetch -n "__fish_acfetch_needs_command" -l discovery-port -d 'Connect to this port for discovery instead of 443/80 (for testing)' -r
complete -c acfetch -n "__fish_acfetch_needs_command" -l progress -d 'Progress on stderr: auto (when a terminal), always, never' -r -f -a "auto\t'When stderr is a terminal'
always\t'Always'
never\t'Never'"
complete -c acfetch -n "__fish_acfetch_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c acfetch -n "__fish_acfetch_needs_command" -s V -l version -d 'Print version'
complete -c acfetch -n "__fish_acfetch_needs_command" -a "trust" -d 'Trust an OpenPGP key for an image name prefix (or all names), list or remove keys'
complete -c acfetch -n "__fish_acfetch_needs_command" -a "generate-docs" -d 'Write man pages and shell completions to DIR'
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l prefix -d 'The image name prefix the key may sign for' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l remove -d 'Remove the key with this fingerprint (or fingerprint suffix)' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l config-dir -d 'Use only this configuration directory (trustedkeys/, auth.d/) instead of /usr/lib/appc, /etc/appc and $XDG_CONFIG_HOME/appc' -r -F
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l insecure-options -d 'Security checks to switch off, comma separated: none, http, tls, image (no signature check), pubkey, all-fetch, all. Each is warned about' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l pull-policy -d 'When to use the network: never (store only), new (only if not stored), update (ask the server; cached answers are revalidated cheaply)' -r -f -a "never\t'Only the store'
new\t'The store if it has the image, else the network'
update\t'Always ask the server'"
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l ca-cert -d 'Also trust the CA certificates in this PEM file (repeatable; SSL_CERT_FILE replaces the system store)' -r -F
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l max-size -d 'Refuse downloads larger than this many bytes' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l retries -d 'Extra attempts after a transient network failure (backoff doubles from 0.5 s)' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l timeout -d 'Seconds one network read may block' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l discovery-port -d 'Connect to this port for discovery instead of 443/80 (for testing)' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l progress -d 'Progress on stderr: auto (when a terminal), always, never' -r -f -a "auto\t'When stderr is a terminal'
always\t'Always'
never\t'Never'"
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l root -d 'Trust the key for every image name'
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -s y -l yes -d 'Do not ask: trust the keys shown'
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -l list -d 'List trusted keys (JSON lines)'
complete -c acfetch -n "__fish_acfetch_using_subcommand trust" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l store-dir -d 'The store directory [default: $ACSTORE_DIR, /var/lib/appc/store for root, $XDG_DATA_HOME/appc/store otherwise]' -r -F
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l config-dir -d 'Use only this configuration directory (trustedkeys/, auth.d/) instead of /usr/lib/appc, /etc/appc and $XDG_CONFIG_HOME/appc' -r -F
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l insecure-options -d 'Security checks to switch off, comma separated: none, http, tls, image (no signature check), pubkey, all-fetch, all. Each is warned about' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l pull-policy -d 'When to use the network: never (store only), new (only if not stored), update (ask the server; cached answers are revalidated cheaply)' -r -f -a "never\t'Only the store'
new\t'The store if it has the image, else the network'
update\t'Always ask the server'"
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l ca-cert -d 'Also trust the CA certificates in this PEM file (repeatable; SSL_CERT_FILE replaces the system store)' -r -F
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l max-size -d 'Refuse downloads larger than this many bytes' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l retries -d 'Extra attempts after a transient network failure (backoff doubles from 0.5 s)' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l timeout -d 'Seconds one network read may block' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l discovery-port -d 'Connect to this port for discovery instead of 443/80 (for testing)' -r
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -l progress -d 'Progress on stderr: auto (when a terminal), always, never' -r -f -a "auto\t'When stderr is a terminal'
always\t'Always'
never\t'Never'"
complete -c acfetch -n "__fish_acfetch_using_subcommand generate-docs" -s h -l help -d 'Print help (see more with \'--help\')'
