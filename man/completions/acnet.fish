# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_acnet_global_optspecs
    string join \n data-dir= config-dir= vendor-config-dir= plugin-path= nft-table= h/help V/version
end

function __fish_acnet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_acnet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_acnet_using_subcommand
    set -l cmd (__fish_acnet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c acnet -n "__fish_acnet_needs_command" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_needs_command" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_needs_command" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_needs_command" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_needs_command" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_needs_command" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_needs_command" -s V -l version -d 'Print version'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "add" -d 'Sets up the pod\'s networks and prints one CNI result per network (JSON lines)'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "del" -d 'Removes everything `add` did for the pod (addresses, links, rules, leases)'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "check" -d 'Checks that the pod\'s networking is still in place (CNI CHECK for CNI networks)'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "ls" -d 'Lists pods with their networks and addresses'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "gc" -d 'Removes the networking of pods whose network namespace no longer exists'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "networks" -d 'Lists the networks that --net accepts (built-in and configured)'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "generate-docs" -d 'Writes man pages and shell completions into DIR'
complete -c acnet -n "__fish_acnet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c acnet -n "__fish_acnet_using_subcommand add" -l pod -d 'The pod\'s UUID' -r
complete -c acnet -n "__fish_acnet_using_subcommand add" -l netns -d 'Path of the pod\'s network namespace (a bind mount or /proc/PID/ns/net)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand add" -l net -d 'Network to join, NAME[:K=V;...] (repeatable; default: default). K=V become CNI_ARGS' -r
complete -c acnet -n "__fish_acnet_using_subcommand add" -l port -d 'Forward a host port to the named pod port, NAME:HOSTPORT[:HOSTIP] (repeatable)' -r
complete -c acnet -n "__fish_acnet_using_subcommand add" -l pod-port -d 'Declare a named pod port, NAME:tcp|udp:PORT (repeatable; names like 80-tcp need none)' -r
complete -c acnet -n "__fish_acnet_using_subcommand add" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand add" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand add" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand add" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_using_subcommand add" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_using_subcommand add" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_using_subcommand del" -l pod -d 'The pod\'s UUID' -r
complete -c acnet -n "__fish_acnet_using_subcommand del" -l netns -d 'Accepted for symmetry with add; the recorded namespace is used' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand del" -l net -d 'Accepted for symmetry with add; the recorded networks are used' -r
complete -c acnet -n "__fish_acnet_using_subcommand del" -l port -d 'Accepted for symmetry with add; the recorded forwards are used' -r
complete -c acnet -n "__fish_acnet_using_subcommand del" -l pod-port -d 'Accepted for symmetry with add' -r
complete -c acnet -n "__fish_acnet_using_subcommand del" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand del" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand del" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand del" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_using_subcommand del" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_using_subcommand del" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_using_subcommand check" -l pod -d 'The pod\'s UUID' -r
complete -c acnet -n "__fish_acnet_using_subcommand check" -l netns -d 'Accepted for symmetry with add; the recorded namespace is used' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand check" -l net -d 'Accepted for symmetry with add; the recorded networks are used' -r
complete -c acnet -n "__fish_acnet_using_subcommand check" -l port -d 'Accepted for symmetry with add; the recorded forwards are used' -r
complete -c acnet -n "__fish_acnet_using_subcommand check" -l pod-port -d 'Accepted for symmetry with add' -r
complete -c acnet -n "__fish_acnet_using_subcommand check" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand check" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand check" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand check" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_using_subcommand check" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_using_subcommand check" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_using_subcommand ls" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand ls" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand ls" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand ls" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_using_subcommand ls" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_using_subcommand ls" -l json -d 'Print JSON lines on stdout instead of a table on stderr'
complete -c acnet -n "__fish_acnet_using_subcommand ls" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_using_subcommand gc" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand gc" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand gc" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand gc" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_using_subcommand gc" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_using_subcommand gc" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_using_subcommand networks" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand networks" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand networks" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand networks" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_using_subcommand networks" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_using_subcommand networks" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_using_subcommand generate-docs" -l data-dir -d 'State directory (IPAM leases, pod records)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand generate-docs" -l config-dir -d 'Network configuration directory (CNI *.conf, *.conflist)' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand generate-docs" -l vendor-config-dir -d 'Vendor network configuration directory, searched after --config-dir' -r -F
complete -c acnet -n "__fish_acnet_using_subcommand generate-docs" -l plugin-path -d 'CNI plugin directories, colon-separated, searched in order' -r
complete -c acnet -n "__fish_acnet_using_subcommand generate-docs" -l nft-table -d 'nftables table (family inet) for masquerade and port forwards' -r
complete -c acnet -n "__fish_acnet_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "add" -d 'Sets up the pod\'s networks and prints one CNI result per network (JSON lines)'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "del" -d 'Removes everything `add` did for the pod (addresses, links, rules, leases)'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "check" -d 'Checks that the pod\'s networking is still in place (CNI CHECK for CNI networks)'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "ls" -d 'Lists pods with their networks and addresses'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "gc" -d 'Removes the networking of pods whose network namespace no longer exists'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "networks" -d 'Lists the networks that --net accepts (built-in and configured)'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "generate-docs" -d 'Writes man pages and shell completions into DIR'
complete -c acnet -n "__fish_acnet_using_subcommand help; and not __fish_seen_subcommand_from add del check ls gc networks generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
