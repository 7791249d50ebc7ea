# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_acrun_global_optspecs
    string join \n dir= store-dir= h/help V/version
end

function __fish_acrun_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_acrun_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_acrun_using_subcommand
    set -l cmd (__fish_acrun_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c acrun -n "__fish_acrun_needs_command" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_needs_command" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_needs_command" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_needs_command" -s V -l version -d 'Print version'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "run" -d 'Runs a pod of one or more images (or of image JSON lines on stdin) and waits for it'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "prepare" -d 'Prepares a pod without starting it; prints its UUID'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "run-prepared" -d 'Runs a prepared pod'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "list" -d 'Lists pods'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "status" -d 'Prints a pod\'s state as JSON'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "stop" -d 'Stops a running pod: SIGTERM, then SIGKILL after its grace period'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "rm" -d 'Removes a pod that is not running'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "gc" -d 'Removes exited pods older than the grace period'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "enter" -d 'Runs a command inside a running app (its root, namespaces and capabilities)'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "cat-manifest" -d 'Prints a pod\'s reified manifest'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "init" -d 'The pod\'s pid 1 (started by run; not for direct use)'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "generate-docs" -d 'Writes man pages and shell completions into DIR'
complete -c acrun -n "__fish_acrun_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c acrun -n "__fish_acrun_using_subcommand run" -l pod-manifest -d 'A pod manifest to run instead of images' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand run" -l volume -d 'Volume `NAME,kind=host,source=PATH[,readOnly=true][,recursive=false]` or `NAME,kind=empty[,mode=0755][,uid=N][,gid=N]`' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l net -d 'Networks: `host`, `none`, or acnet network names (repeatable)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l port -d 'Expose a port: `NAME:HOSTPORT` (through acnet)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l dns -d 'DNS server for /etc/resolv.conf (repeatable)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l hostname -d 'The pod\'s hostname (default acrun-<uuid prefix>)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l set-env-file -d 'Read NAME=VALUE lines from FILE into every app\'s environment' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand run" -l grace -d 'Grace period between SIGTERM and SIGKILL' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l uuid-file-save -d 'Write the pod UUID to FILE' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand run" -l exec -d 'Replace the image\'s command' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l name -d 'The pod app name (default from the image name)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l user -d 'User (name, uid or /path)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l group -d 'Group (name, gid or /path)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l working-dir -d 'Working directory' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l set-env -d 'NAME=VALUE for the environment (repeatable)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l mount -d '`volume=NAME,target=PATH`: mount a volume into the app' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l caps-retain -d 'Keep only these capabilities (comma separated)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l caps-remove -d 'Remove these capabilities from the default set (comma separated)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l seccomp -d 'Seccomp: `mode=remove|retain[,errno=ENAME],SYSCALL,...` (default: a filter that blocks kernel-level calls with EPERM)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l memory -d 'Memory limit (resource/memory, e.g. 512Mi)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l cpu -d 'CPU limit (resource/cpu, e.g. 500m)' -r
complete -c acrun -n "__fish_acrun_using_subcommand run" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand run" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand run" -l inherit-env -d 'Pass the host environment to the apps (the apps\' own values win)'
complete -c acrun -n "__fish_acrun_using_subcommand run" -l interactive -d 'Connect stdin to the (single) app'
complete -c acrun -n "__fish_acrun_using_subcommand run" -l no-overlay -d 'Copy each image\'s tree into the pod instead of overlayfs (slower; for filesystems where overlayfs cannot be used)'
complete -c acrun -n "__fish_acrun_using_subcommand run" -l no-metadata -d 'Do not serve the metadata service'
complete -c acrun -n "__fish_acrun_using_subcommand run" -l readonly-rootfs -d 'Mount the app\'s root read-only'
complete -c acrun -n "__fish_acrun_using_subcommand run" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l pod-manifest -d 'A pod manifest to run instead of images' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l volume -d 'Volume `NAME,kind=host,source=PATH[,readOnly=true][,recursive=false]` or `NAME,kind=empty[,mode=0755][,uid=N][,gid=N]`' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l net -d 'Networks: `host`, `none`, or acnet network names (repeatable)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l port -d 'Expose a port: `NAME:HOSTPORT` (through acnet)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l dns -d 'DNS server for /etc/resolv.conf (repeatable)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l hostname -d 'The pod\'s hostname (default acrun-<uuid prefix>)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l set-env-file -d 'Read NAME=VALUE lines from FILE into every app\'s environment' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l grace -d 'Grace period between SIGTERM and SIGKILL' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l uuid-file-save -d 'Write the pod UUID to FILE' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l exec -d 'Replace the image\'s command' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l name -d 'The pod app name (default from the image name)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l user -d 'User (name, uid or /path)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l group -d 'Group (name, gid or /path)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l working-dir -d 'Working directory' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l set-env -d 'NAME=VALUE for the environment (repeatable)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l mount -d '`volume=NAME,target=PATH`: mount a volume into the app' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l caps-retain -d 'Keep only these capabilities (comma separated)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l caps-remove -d 'Remove these capabilities from the default set (comma separated)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l seccomp -d 'Seccomp: `mode=remove|retain[,errno=ENAME],SYSCALL,...` (default: a filter that blocks kernel-level calls with EPERM)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l memory -d 'Memory limit (resource/memory, e.g. 512Mi)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l cpu -d 'CPU limit (resource/cpu, e.g. 500m)' -r
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l inherit-env -d 'Pass the host environment to the apps (the apps\' own values win)'
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l interactive -d 'Connect stdin to the (single) app'
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l no-overlay -d 'Copy each image\'s tree into the pod instead of overlayfs (slower; for filesystems where overlayfs cannot be used)'
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l no-metadata -d 'Do not serve the metadata service'
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -l readonly-rootfs -d 'Mount the app\'s root read-only'
complete -c acrun -n "__fish_acrun_using_subcommand prepare" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand run-prepared" -l grace -d 'Grace period between SIGTERM and SIGKILL on stop' -r
complete -c acrun -n "__fish_acrun_using_subcommand run-prepared" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand run-prepared" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand run-prepared" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand list" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand list" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand list" -l json -d 'JSON lines on stdout'
complete -c acrun -n "__fish_acrun_using_subcommand list" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand status" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand status" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand status" -l wait -d 'Wait until it exits'
complete -c acrun -n "__fish_acrun_using_subcommand status" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand stop" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand stop" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand stop" -l force -d 'SIGKILL at once'
complete -c acrun -n "__fish_acrun_using_subcommand stop" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand rm" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand rm" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand rm" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand gc" -l grace-period -d 'Keep exited pods younger than this' -r
complete -c acrun -n "__fish_acrun_using_subcommand gc" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand gc" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand gc" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand enter" -l app -d 'The app (default: the pod\'s only app)' -r
complete -c acrun -n "__fish_acrun_using_subcommand enter" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand enter" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand enter" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand cat-manifest" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand cat-manifest" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand cat-manifest" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand init" -l dir -d 'Pod data directory (default /var/lib/appc/pods)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand init" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand init" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand generate-docs" -l store-dir -d 'Image store directory (as acstore\'s --store-dir)' -r -F
complete -c acrun -n "__fish_acrun_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "run" -d 'Runs a pod of one or more images (or of image JSON lines on stdin) and waits for it'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "prepare" -d 'Prepares a pod without starting it; prints its UUID'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "run-prepared" -d 'Runs a prepared pod'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "list" -d 'Lists pods'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "status" -d 'Prints a pod\'s state as JSON'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "stop" -d 'Stops a running pod: SIGTERM, then SIGKILL after its grace period'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "rm" -d 'Removes a pod that is not running'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "gc" -d 'Removes exited pods older than the grace period'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "enter" -d 'Runs a command inside a running app (its root, namespaces and capabilities)'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "cat-manifest" -d 'Prints a pod\'s reified manifest'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "init" -d 'The pod\'s pid 1 (started by run; not for direct use)'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "generate-docs" -d 'Writes man pages and shell completions into DIR'
complete -c acrun -n "__fish_acrun_using_subcommand help; and not __fish_seen_subcommand_from run prepare run-prepared list status stop rm gc enter cat-manifest init generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
