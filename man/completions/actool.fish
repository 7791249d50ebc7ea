# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_actool_global_optspecs
    string join \n debug h/help V/version
end

function __fish_actool_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_actool_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_actool_using_subcommand
    set -l cmd (__fish_actool_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c actool -n "__fish_actool_needs_command" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_needs_command" -s h -l help -d 'Print help'
complete -c actool -n "__fish_actool_needs_command" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_needs_command" -f -a "build" -d 'Build an ACI from an image layout directory (DIR/manifest and DIR/rootfs/)'
complete -c actool -n "__fish_actool_needs_command" -f -a "validate" -d 'Validate ACIs, image layouts, and image or pod manifests'
complete -c actool -n "__fish_actool_needs_command" -f -a "cat-manifest" -d 'Print the manifest of an ACI'
complete -c actool -n "__fish_actool_needs_command" -f -a "patch-manifest" -d 'Copy an ACI with its manifest patched (or replaced with --manifest)'
complete -c actool -n "__fish_actool_needs_command" -f -a "discover" -d 'Discover the download URLs of app container images (appc meta discovery)'
complete -c actool -n "__fish_actool_needs_command" -f -a "image-id" -d 'Print the image ID of an ACI: sha512- and the SHA-512 of its decompressed tar'
complete -c actool -n "__fish_actool_needs_command" -f -a "version" -d 'Print the version of actool and of the appc spec it implements'
complete -c actool -n "__fish_actool_needs_command" -f -a "generate-docs" -d 'Write man pages and shell completions into DIR'
complete -c actool -n "__fish_actool_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c actool -n "__fish_actool_using_subcommand build" -l compression -d 'Compression of the produced ACI' -r -f -a "gzip\t'gzip, compressed on all cores'
bzip2\t'bzip2'
xz\t'xz'
zstd\t'zstd'
none\t'A plain tar'"
complete -c actool -n "__fish_actool_using_subcommand build" -l source-date-epoch -d 'Set every mtime to this Unix time, for reproducible image IDs' -r
complete -c actool -n "__fish_actool_using_subcommand build" -l overwrite -d 'Overwrite the output file if it already exists'
complete -c actool -n "__fish_actool_using_subcommand build" -l no-compression -d 'Do not compress the produced ACI (the same as --compression none)'
complete -c actool -n "__fish_actool_using_subcommand build" -l owner-root -d 'Record every file as owned by root:root instead of its numeric owner'
complete -c actool -n "__fish_actool_using_subcommand build" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand build" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c actool -n "__fish_actool_using_subcommand build" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand validate" -l type -d 'Type of the inputs; detected from each input when not given' -r -f -a "appimage\t'An ACI (tar, optionally gzip, bzip2, xz or zstd compressed)'
layout\t'An image layout directory'
manifest\t'An image or pod manifest (JSON)'"
complete -c actool -n "__fish_actool_using_subcommand validate" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c actool -n "__fish_actool_using_subcommand validate" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand cat-manifest" -l pretty-print -d 'Print the manifest indented'
complete -c actool -n "__fish_actool_using_subcommand cat-manifest" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand cat-manifest" -s h -l help -d 'Print help'
complete -c actool -n "__fish_actool_using_subcommand cat-manifest" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l compression -d 'Compression of the produced ACI' -r -f -a "gzip\t'gzip, compressed on all cores'
bzip2\t'bzip2'
xz\t'xz'
zstd\t'zstd'
none\t'A plain tar'"
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l manifest -d 'Replace the whole image manifest with this file; incompatible with the other patches' -r -F
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l name -d 'Replace the image name' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l exec -d 'Replace the command line of the app (split at spaces)' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l user -d 'Replace the app\'s user' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l group -d 'Replace the app\'s group' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l supplementary-groups -d 'Replace the supplementary groups: a comma-separated list of GIDs' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l capability -d 'Set the capability retain set: a comma-separated list' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l revoke-capability -d 'Set the capability remove set: a comma-separated list' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l mounts -d 'Add mount points: `name,path=/p[,readOnly=true][:name2,...]`' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l ports -d 'Add ports: `name,protocol=tcp,port=80[,count=N][,socketActivated=true][:name2,...]`' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l isolators -d 'Add isolators: `name,key=value,...[:name2,...]`, e.g. `resource/cpu,request=50m,limit=100m`' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l seccomp-mode -d 'Set the seccomp isolator mode: `remove|retain[,errno=ENAME]`' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l seccomp-set -d 'The syscalls of the seccomp isolator: a comma-separated list' -r
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l overwrite -d 'Overwrite the output file if it already exists'
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l no-compression -d 'Do not compress the produced ACI (the same as --compression none)'
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l replace -d 'Replace the input file instead of writing a new one'
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c actool -n "__fish_actool_using_subcommand patch-manifest" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand discover" -l port -d 'Port to connect to for discovery (0: the scheme\'s default)' -r
complete -c actool -n "__fish_actool_using_subcommand discover" -l ca-cert -d 'Extra PEM CA certificates to trust, besides the system\'s' -r -F
complete -c actool -n "__fish_actool_using_subcommand discover" -l json -d 'Print the result as JSON'
complete -c actool -n "__fish_actool_using_subcommand discover" -l insecure -d 'Do not check TLS certificates, and fall back to plain http'
complete -c actool -n "__fish_actool_using_subcommand discover" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand discover" -s h -l help -d 'Print help'
complete -c actool -n "__fish_actool_using_subcommand discover" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand image-id" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand image-id" -s h -l help -d 'Print help'
complete -c actool -n "__fish_actool_using_subcommand image-id" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand version" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand version" -s h -l help -d 'Print help'
complete -c actool -n "__fish_actool_using_subcommand version" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand generate-docs" -l debug -d 'Print verbose (debug) output on stderr, such as a line for every valid input'
complete -c actool -n "__fish_actool_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c actool -n "__fish_actool_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "build" -d 'Build an ACI from an image layout directory (DIR/manifest and DIR/rootfs/)'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "validate" -d 'Validate ACIs, image layouts, and image or pod manifests'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "cat-manifest" -d 'Print the manifest of an ACI'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "patch-manifest" -d 'Copy an ACI with its manifest patched (or replaced with --manifest)'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "discover" -d 'Discover the download URLs of app container images (appc meta discovery)'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "image-id" -d 'Print the image ID of an ACI: sha512- and the SHA-512 of its decompressed tar'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "version" -d 'Print the version of actool and of the appc spec it implements'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "generate-docs" -d 'Write man pages and shell completions into DIR'
complete -c actool -n "__fish_actool_using_subcommand help; and not __fish_seen_subcommand_from build validate cat-manifest patch-manifest discover image-id version generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
