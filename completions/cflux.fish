# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cflux_global_optspecs
    string join \n endpoint= timeout= token= cacert= o/output= h/help V/version
end

function __fish_cflux_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cflux_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cflux_using_subcommand
    set -l cmd (__fish_cflux_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cflux -n "__fish_cflux_needs_command" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_needs_command" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_needs_command" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_needs_command" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_needs_command" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_needs_command" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_needs_command" -s V -l version -d 'Print version'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "relay" -d 'Run the data path: InfluxDB\'s /write and /query in front of a cluster, every write to every member'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "nodes" -d 'List, register, heartbeat and deregister nodes'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "clusters" -d 'List clusters with their metadata versions and node counts'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "meta" -d 'Read and write a cluster\'s versioned metadata'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "snapshot" -d 'Save a manager\'s whole state to a file, inspect one, restore one into an empty store'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "serve" -d 'Run the ClusterFlux manager: node membership and versioned metadata over HTTP'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "completions" -d 'Print the completion script of a shell'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "generate" -d 'Write completions/ and man/ under DIR (for maintainers)'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "agent" -d 'Join the local influxd to a cluster and keep its schema in step with the other members'
complete -c cflux -n "__fish_cflux_needs_command" -f -a "bench" -d 'Measure a manager (and, with --etcd, etcd doing the same) under node-like load'
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l config -d 'A TOML file with these options (flags and environment override it)' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l cluster -d 'The cluster this relay fronts [default: default]' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l listen -d 'Where InfluxDB clients connect [default: 127.0.0.1:8087]' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l data-dir -d 'Where the members\' queues are kept [default: ./cflux-relay]' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l queue-max-bytes -d 'The most one member\'s queue holds, in bytes; past it, its oldest entries are dropped [default: 1073741824]' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l queue-max-age -d 'The oldest entry a member\'s queue keeps; older ones are dropped [default: 24h]' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l write-timeout -d 'How long a member may take to answer a write before the write is queued for it instead [default: 10s]' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l schema-wait -d 'How long a schema statement (CREATE DATABASE, …) waits for the agents to publish it before it is answered [default: 10s]' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l max-body-bytes -d 'The largest write body, in bytes once gunzipped, as influxd\'s max-body-size [default: 25000000]' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -s V -l version -d 'Print version'
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -f -a "status" -d 'Show each member of a running relay: alive, caught up, its queue'
complete -c cflux -n "__fish_cflux_using_subcommand relay; and not __fish_seen_subcommand_from status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from status" -l relay -d 'The relay to ask' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from status" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from status" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from status" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from status" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show each member of a running relay: alive, caught up, its queue'
complete -c cflux -n "__fish_cflux_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -f -a "list" -d 'List managers and InfluxDB nodes (all clusters, or one)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -f -a "register" -d 'Register a node by hand (nodes normally register themselves)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -f -a "refresh" -d 'Send one heartbeat for a node'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -f -a "down" -d 'Mark a node down now (it stays listed, not alive, until it heartbeats again)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -f -a "deregister" -d 'Remove a node for good'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and not __fish_seen_subcommand_from list register refresh down deregister help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -l interval -d 'How often --watch redraws a terminal\'s table; changes show at once' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -s w -l watch -d 'Keep watching: redraw (on a terminal) or print again (elsewhere) whenever nodes come, go, live or die'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -l hostname -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -l ip -d 'Comma-joined addresses [default: the address the manager sees]' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -l bind-address -d 'The node\'s bind-address [default: the address the manager sees]' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from register" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from refresh" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from refresh" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from refresh" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from refresh" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from refresh" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from refresh" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from down" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from down" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from down" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from down" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from down" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from deregister" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from deregister" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from deregister" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from deregister" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from deregister" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from deregister" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from help" -f -a "list" -d 'List managers and InfluxDB nodes (all clusters, or one)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from help" -f -a "register" -d 'Register a node by hand (nodes normally register themselves)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from help" -f -a "refresh" -d 'Send one heartbeat for a node'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from help" -f -a "down" -d 'Mark a node down now (it stays listed, not alive, until it heartbeats again)'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from help" -f -a "deregister" -d 'Remove a node for good'
complete -c cflux -n "__fish_cflux_using_subcommand nodes; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'List clusters with their metadata version and node counts'
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from list" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from list" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from list" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from list" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from help" -f -a "list" -d 'List clusters with their metadata version and node counts'
complete -c cflux -n "__fish_cflux_using_subcommand clusters; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -f -a "get" -d 'Print a cluster\'s metadata, bytes as stored'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -f -a "put" -d 'Write metadata based on version N; prints the new version'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -f -a "watch" -d 'Follow the metadata: one JSON line per version, or run a command per version'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -f -a "history" -d 'List the retained versions with time and size'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -f -a "delete" -d 'Delete a cluster\'s metadata, every retained version (admin)'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and not __fish_seen_subcommand_from get put watch history delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from get" -l version -d 'A retained version instead of the newest' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from get" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from get" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from get" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from get" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -l version -d 'The version this write is based on (0 for a cluster without metadata)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -l content-type -d 'Content type recorded with the metadata' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from put" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from watch" -l from -d 'Start after version N instead of at the current version' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from watch" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from watch" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from watch" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from watch" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from watch" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from history" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from history" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from history" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from history" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from history" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from delete" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from delete" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from delete" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from delete" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from delete" -l force -d 'Delete even while nodes of the cluster are alive'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print a cluster\'s metadata, bytes as stored'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from help" -f -a "put" -d 'Write metadata based on version N; prints the new version'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from help" -f -a "watch" -d 'Follow the metadata: one JSON line per version, or run a command per version'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from help" -f -a "history" -d 'List the retained versions with time and size'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a cluster\'s metadata, every retained version (admin)'
complete -c cflux -n "__fish_cflux_using_subcommand meta; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "save" -d 'Save a running manager\'s state (admin role) to FILE, or with --data-dir a stopped manager\'s embedded store'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "inspect" -d 'Verify FILE and print what it holds'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "restore" -d 'Restore FILE into an empty store, with no manager running on it'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l data-dir -d 'Read the embedded store in DIR directly (its manager stopped) instead of asking a running manager' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from save" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from save" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l config -d 'TOML file of `cflux serve`, for its store options' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l etcd -d 'etcd v3 endpoints (comma-separated URLs)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l data-dir -d 'Directory of the embedded store (without --etcd) [default: ./cflux-data]' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l etcd-cacert -d 'CA (PEM) that signed etcd\'s certificates' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l etcd-cert -d 'Client certificate (PEM) for etcd' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l etcd-key -d 'Private key of --etcd-cert (PEM)' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l etcd-user -d 'etcd user (password from --etcd-password-file or CFLUX_ETCD_PASSWORD)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l etcd-password-file -d 'File whose first line is the etcd user\'s password' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l force -d 'Replace whatever cflux state the store holds'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "save" -d 'Save a running manager\'s state (admin role) to FILE, or with --data-dir a stopped manager\'s embedded store'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Verify FILE and print what it holds'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Restore FILE into an empty store, with no manager running on it'
complete -c cflux -n "__fish_cflux_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "serve" -d 'Run the ClusterFlux manager: node membership and versioned metadata over HTTP'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "agent" -d 'Join the local influxd to a cluster and keep its schema in step with the other members'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "relay" -d 'Run the data path: InfluxDB\'s /write and /query in front of a cluster, every write to every member'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "nodes" -d 'List, register, heartbeat and deregister nodes'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "clusters" -d 'List clusters with their metadata versions and node counts'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "meta" -d 'Read and write a cluster\'s versioned metadata'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "snapshot" -d 'Save a manager\'s whole state to a file, inspect one, restore one into an empty store'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "bench" -d 'Measure a manager (and, with --etcd, etcd doing the same) under node-like load'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "completions" -d 'Print the completion script of a shell'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "generate" -d 'Write completions/ and man/ under DIR (for maintainers)'
complete -c cflux -n "__fish_cflux_using_subcommand help; and not __fish_seen_subcommand_from serve agent relay nodes clusters meta snapshot bench completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "status" -d 'Show each member of a running relay: alive, caught up, its queue'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from nodes" -f -a "list" -d 'List managers and InfluxDB nodes (all clusters, or one)'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from nodes" -f -a "register" -d 'Register a node by hand (nodes normally register themselves)'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from nodes" -f -a "refresh" -d 'Send one heartbeat for a node'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from nodes" -f -a "down" -d 'Mark a node down now (it stays listed, not alive, until it heartbeats again)'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from nodes" -f -a "deregister" -d 'Remove a node for good'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from clusters" -f -a "list" -d 'List clusters with their metadata version and node counts'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from meta" -f -a "get" -d 'Print a cluster\'s metadata, bytes as stored'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from meta" -f -a "put" -d 'Write metadata based on version N; prints the new version'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from meta" -f -a "watch" -d 'Follow the metadata: one JSON line per version, or run a command per version'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from meta" -f -a "history" -d 'List the retained versions with time and size'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from meta" -f -a "delete" -d 'Delete a cluster\'s metadata, every retained version (admin)'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "save" -d 'Save a running manager\'s state (admin role) to FILE, or with --data-dir a stopped manager\'s embedded store'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "inspect" -d 'Verify FILE and print what it holds'
complete -c cflux -n "__fish_cflux_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "restore" -d 'Restore FILE into an empty store, with no manager running on it'
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l config -d 'TOML file with any of the options below (kebab-case keys)' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l listen -d 'Address to listen on [default: 127.0.0.1:8000]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l advertise -d 'Address this manager reports as its bind-address [default: the listen address, or the first non-loopback address when listening on 0.0.0.0]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l etcd -d 'etcd v3 endpoints (comma-separated URLs); without it, the embedded store' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l data-dir -d 'Directory of the embedded store [default: ./cflux-data]' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l node-ttl -d 'How long a node stays alive without a heartbeat [default: 15s, minimum 2s]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l drift-after -d 'How long a node\'s applied metadata version may trail its cluster\'s before the node is listed as drifting [default: 2m]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l forget-after -d 'How long a node whose TTL lapsed stays listed as not alive [default: 1h]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l default-wait -d 'Long-poll wait when the request gives none [default: 5m]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l max-wait -d 'Longest long-poll wait a request may ask for [default: 10m]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l max-meta-bytes -d 'Largest metadata body accepted, in bytes [default: 1048576]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l history -d 'Metadata versions kept per cluster [default: 10]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l store-timeout -d 'Deadline of every store call; past it requests answer 503 [default: 3s]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l max-connections -d 'Open connections served at once; beyond it new ones get 503 [default: 20000]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l body-timeout -d 'How long a request body may take to arrive in all, and an answer may stall while written; past it 408 or a closed connection [default: 10s]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l client-rate -d 'Registrations and metadata writes a second per client address, in bursts of ten times that; beyond it 429 (0: no limit) [default: 200]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l max-cluster-nodes -d 'Nodes one cluster may have; registrations beyond it get 429 (0: no limit) [default: 25000]' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l metrics-open -d 'Serve /metrics without a token even when the manager has tokens (for scrapers that cannot send one) [default: false]' -r -f -a "true\t''
false\t''"
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l token-file -d 'Bearer tokens, one `ROLE TOKEN [CLUSTER,…]` per line (roles: read, node, admin); without tokens the API is open to anyone who can reach it' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l tls-cert -d 'Serve HTTPS with this certificate chain (PEM); needs --tls-key' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l tls-key -d 'Private key of --tls-cert (PEM)' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l etcd-cacert -d 'CA (PEM) that signed etcd\'s certificates; required with https:// endpoints' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l etcd-cert -d 'Client certificate (PEM) for etcd members that require one; needs --etcd-key' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l etcd-key -d 'Private key of --etcd-cert (PEM)' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l etcd-user -d 'etcd user, for an etcd with authentication enabled; the password comes from --etcd-password-file or CFLUX_ETCD_PASSWORD' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l etcd-password-file -d 'File whose first line is the etcd user\'s password' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand serve" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand serve" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand serve" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand serve" -s V -l version -d 'Print version'
complete -c cflux -n "__fish_cflux_using_subcommand completions" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand completions" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand completions" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand completions" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand completions" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand completions" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand generate" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand generate" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand generate" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand generate" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand generate" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand generate" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l cluster -d 'The cluster this node belongs to' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l influx-url -d 'The local influxd\'s HTTP API' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l influx-username -d 'InfluxDB user (an admin: the agent creates and drops databases)' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l influx-password -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l state-dir -d 'Where the node id and the last synced schema are kept' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l hostname -d 'The node\'s hostname in the cluster [default: this machine\'s]' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l bind-address -d 'The address other members use [default: host:port of --influx-url]' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l poll -d 'How often the local schema is checked for changes' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l metrics-listen -d 'Serve Prometheus metrics at http://ADDR/metrics [default: off]' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand agent" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l publish-local -d 'Without a synced schema (a new node, or a lost state folder), also publish the objects only this node has (not those the cluster lists as dropped); by default they are kept on the node but not published'
complete -c cflux -n "__fish_cflux_using_subcommand agent" -l leave -d 'Remove this node from the cluster for good (and forget its state), then exit'
complete -c cflux -n "__fish_cflux_using_subcommand agent" -s h -l help -d 'Print help'
complete -c cflux -n "__fish_cflux_using_subcommand agent" -s V -l version -d 'Print version'
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l etcd -d 'Also run the etcd equivalent against these endpoints and print cflux/etcd' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l clients -d 'Concurrent clients' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l duration -d 'How long each measured scenario runs' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l nodes -d 'Nodes registered before nodes-list' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l parked -d 'Long polls parked before the fan-out write' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l hold -d 'fanout: keep the polls parked this long before the write (to measure the manager meanwhile)' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l batch -d 'Points per write (relay)' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l queued -d 'Points queued for a dead member before the relay\'s memory is read (relay)' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l influxd -d 'The InfluxDB 1.x server to start (relay)' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l endpoint -d 'Manager base URLs, tried in order when one cannot be reached' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l timeout -d 'Timeout of ordinary requests to the manager (not of long polls)' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l token -d 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)' -r
complete -c cflux -n "__fish_cflux_using_subcommand bench" -l cacert -d 'CA certificate (PEM) to check https:// managers against instead of the system\'s roots' -r -F
complete -c cflux -n "__fish_cflux_using_subcommand bench" -s o -l output -d 'Output format: tables for people, the API\'s JSON for scripts (`wide`: tables with more columns)' -r -f -a "table\t''
json\t''
wide\t''"
complete -c cflux -n "__fish_cflux_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
