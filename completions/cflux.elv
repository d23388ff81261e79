
use builtin;
use str;

set edit:completion:arg-completer[cflux] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cflux'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cflux'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand relay 'Run the data path: InfluxDB''s /write and /query in front of a cluster, every write to every member'
            cand nodes 'List, register, heartbeat and deregister nodes'
            cand clusters 'List clusters with their metadata versions and node counts'
            cand meta 'Read and write a cluster''s versioned metadata'
            cand snapshot 'Save a manager''s whole state to a file, inspect one, restore one into an empty store'
            cand help 'Print this message or the help of the given subcommand(s)'
            cand serve 'Run the ClusterFlux manager: node membership and versioned metadata over HTTP'
            cand completions 'Print the completion script of a shell'
            cand generate 'Write completions/ and man/ under DIR (for maintainers)'
            cand agent 'Join the local influxd to a cluster and keep its schema in step with the other members'
            cand bench 'Measure a manager (and, with --etcd, etcd doing the same) under node-like load'
        }
        &'cflux;relay'= {
            cand --config 'A TOML file with these options (flags and environment override it)'
            cand --cluster 'The cluster this relay fronts [default: default]'
            cand --listen 'Where InfluxDB clients connect [default: 127.0.0.1:8087]'
            cand --data-dir 'Where the members'' queues are kept [default: ./cflux-relay]'
            cand --queue-max-bytes 'The most one member''s queue holds, in bytes; past it, its oldest entries are dropped [default: 1073741824]'
            cand --queue-max-age 'The oldest entry a member''s queue keeps; older ones are dropped [default: 24h]'
            cand --write-timeout 'How long a member may take to answer a write before the write is queued for it instead [default: 10s]'
            cand --schema-wait 'How long a schema statement (CREATE DATABASE, …) waits for the agents to publish it before it is answered [default: 10s]'
            cand --max-body-bytes 'The largest write body, in bytes once gunzipped, as influxd''s max-body-size [default: 25000000]'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand status 'Show each member of a running relay: alive, caught up, its queue'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;relay;status'= {
            cand --relay 'The relay to ask'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;relay;help'= {
            cand status 'Show each member of a running relay: alive, caught up, its queue'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;relay;help;status'= {
        }
        &'cflux;relay;help;help'= {
        }
        &'cflux;nodes'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List managers and InfluxDB nodes (all clusters, or one)'
            cand register 'Register a node by hand (nodes normally register themselves)'
            cand refresh 'Send one heartbeat for a node'
            cand down 'Mark a node down now (it stays listed, not alive, until it heartbeats again)'
            cand deregister 'Remove a node for good'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;nodes;list'= {
            cand --interval 'How often --watch redraws a terminal''s table; changes show at once'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -w 'Keep watching: redraw (on a terminal) or print again (elsewhere) whenever nodes come, go, live or die'
            cand --watch 'Keep watching: redraw (on a terminal) or print again (elsewhere) whenever nodes come, go, live or die'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;nodes;register'= {
            cand --hostname 'hostname'
            cand --ip 'Comma-joined addresses [default: the address the manager sees]'
            cand --bind-address 'The node''s bind-address [default: the address the manager sees]'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;nodes;refresh'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;nodes;down'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;nodes;deregister'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;nodes;help'= {
            cand list 'List managers and InfluxDB nodes (all clusters, or one)'
            cand register 'Register a node by hand (nodes normally register themselves)'
            cand refresh 'Send one heartbeat for a node'
            cand down 'Mark a node down now (it stays listed, not alive, until it heartbeats again)'
            cand deregister 'Remove a node for good'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;nodes;help;list'= {
        }
        &'cflux;nodes;help;register'= {
        }
        &'cflux;nodes;help;refresh'= {
        }
        &'cflux;nodes;help;down'= {
        }
        &'cflux;nodes;help;deregister'= {
        }
        &'cflux;nodes;help;help'= {
        }
        &'cflux;clusters'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List clusters with their metadata version and node counts'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;clusters;list'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;clusters;help'= {
            cand list 'List clusters with their metadata version and node counts'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;clusters;help;list'= {
        }
        &'cflux;clusters;help;help'= {
        }
        &'cflux;meta'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand get 'Print a cluster''s metadata, bytes as stored'
            cand put 'Write metadata based on version N; prints the new version'
            cand watch 'Follow the metadata: one JSON line per version, or run a command per version'
            cand history 'List the retained versions with time and size'
            cand delete 'Delete a cluster''s metadata, every retained version (admin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;meta;get'= {
            cand --version 'A retained version instead of the newest'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;meta;put'= {
            cand --version 'The version this write is based on (0 for a cluster without metadata)'
            cand --content-type 'Content type recorded with the metadata'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;meta;watch'= {
            cand --from 'Start after version N instead of at the current version'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cflux;meta;history'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;meta;delete'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --force 'Delete even while nodes of the cluster are alive'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cflux;meta;help'= {
            cand get 'Print a cluster''s metadata, bytes as stored'
            cand put 'Write metadata based on version N; prints the new version'
            cand watch 'Follow the metadata: one JSON line per version, or run a command per version'
            cand history 'List the retained versions with time and size'
            cand delete 'Delete a cluster''s metadata, every retained version (admin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;meta;help;get'= {
        }
        &'cflux;meta;help;put'= {
        }
        &'cflux;meta;help;watch'= {
        }
        &'cflux;meta;help;history'= {
        }
        &'cflux;meta;help;delete'= {
        }
        &'cflux;meta;help;help'= {
        }
        &'cflux;snapshot'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand save 'Save a running manager''s state (admin role) to FILE, or with --data-dir a stopped manager''s embedded store'
            cand inspect 'Verify FILE and print what it holds'
            cand restore 'Restore FILE into an empty store, with no manager running on it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;snapshot;save'= {
            cand --data-dir 'Read the embedded store in DIR directly (its manager stopped) instead of asking a running manager'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;snapshot;inspect'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;snapshot;restore'= {
            cand --config 'TOML file of `cflux serve`, for its store options'
            cand --etcd 'etcd v3 endpoints (comma-separated URLs)'
            cand --data-dir 'Directory of the embedded store (without --etcd) [default: ./cflux-data]'
            cand --etcd-cacert 'CA (PEM) that signed etcd''s certificates'
            cand --etcd-cert 'Client certificate (PEM) for etcd'
            cand --etcd-key 'Private key of --etcd-cert (PEM)'
            cand --etcd-user 'etcd user (password from --etcd-password-file or CFLUX_ETCD_PASSWORD)'
            cand --etcd-password-file 'File whose first line is the etcd user''s password'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --force 'Replace whatever cflux state the store holds'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;snapshot;help'= {
            cand save 'Save a running manager''s state (admin role) to FILE, or with --data-dir a stopped manager''s embedded store'
            cand inspect 'Verify FILE and print what it holds'
            cand restore 'Restore FILE into an empty store, with no manager running on it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;snapshot;help;save'= {
        }
        &'cflux;snapshot;help;inspect'= {
        }
        &'cflux;snapshot;help;restore'= {
        }
        &'cflux;snapshot;help;help'= {
        }
        &'cflux;help'= {
            cand serve 'Run the ClusterFlux manager: node membership and versioned metadata over HTTP'
            cand agent 'Join the local influxd to a cluster and keep its schema in step with the other members'
            cand relay 'Run the data path: InfluxDB''s /write and /query in front of a cluster, every write to every member'
            cand nodes 'List, register, heartbeat and deregister nodes'
            cand clusters 'List clusters with their metadata versions and node counts'
            cand meta 'Read and write a cluster''s versioned metadata'
            cand snapshot 'Save a manager''s whole state to a file, inspect one, restore one into an empty store'
            cand bench 'Measure a manager (and, with --etcd, etcd doing the same) under node-like load'
            cand completions 'Print the completion script of a shell'
            cand generate 'Write completions/ and man/ under DIR (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cflux;help;serve'= {
        }
        &'cflux;help;agent'= {
        }
        &'cflux;help;relay'= {
            cand status 'Show each member of a running relay: alive, caught up, its queue'
        }
        &'cflux;help;relay;status'= {
        }
        &'cflux;help;nodes'= {
            cand list 'List managers and InfluxDB nodes (all clusters, or one)'
            cand register 'Register a node by hand (nodes normally register themselves)'
            cand refresh 'Send one heartbeat for a node'
            cand down 'Mark a node down now (it stays listed, not alive, until it heartbeats again)'
            cand deregister 'Remove a node for good'
        }
        &'cflux;help;nodes;list'= {
        }
        &'cflux;help;nodes;register'= {
        }
        &'cflux;help;nodes;refresh'= {
        }
        &'cflux;help;nodes;down'= {
        }
        &'cflux;help;nodes;deregister'= {
        }
        &'cflux;help;clusters'= {
            cand list 'List clusters with their metadata version and node counts'
        }
        &'cflux;help;clusters;list'= {
        }
        &'cflux;help;meta'= {
            cand get 'Print a cluster''s metadata, bytes as stored'
            cand put 'Write metadata based on version N; prints the new version'
            cand watch 'Follow the metadata: one JSON line per version, or run a command per version'
            cand history 'List the retained versions with time and size'
            cand delete 'Delete a cluster''s metadata, every retained version (admin)'
        }
        &'cflux;help;meta;get'= {
        }
        &'cflux;help;meta;put'= {
        }
        &'cflux;help;meta;watch'= {
        }
        &'cflux;help;meta;history'= {
        }
        &'cflux;help;meta;delete'= {
        }
        &'cflux;help;snapshot'= {
            cand save 'Save a running manager''s state (admin role) to FILE, or with --data-dir a stopped manager''s embedded store'
            cand inspect 'Verify FILE and print what it holds'
            cand restore 'Restore FILE into an empty store, with no manager running on it'
        }
        &'cflux;help;snapshot;save'= {
        }
        &'cflux;help;snapshot;inspect'= {
        }
        &'cflux;help;snapshot;restore'= {
        }
        &'cflux;help;bench'= {
        }
        &'cflux;help;completions'= {
        }
        &'cflux;help;generate'= {
        }
        &'cflux;help;help'= {
        }
        &'cflux;serve'= {
            cand --config 'TOML file with any of the options below (kebab-case keys)'
            cand --listen 'Address to listen on [default: 127.0.0.1:8000]'
            cand --advertise 'Address this manager reports as its bind-address [default: the listen address, or the first non-loopback address when listening on 0.0.0.0]'
            cand --etcd 'etcd v3 endpoints (comma-separated URLs); without it, the embedded store'
            cand --data-dir 'Directory of the embedded store [default: ./cflux-data]'
            cand --node-ttl 'How long a node stays alive without a heartbeat [default: 15s, minimum 2s]'
            cand --drift-after 'How long a node''s applied metadata version may trail its cluster''s before the node is listed as drifting [default: 2m]'
            cand --forget-after 'How long a node whose TTL lapsed stays listed as not alive [default: 1h]'
            cand --default-wait 'Long-poll wait when the request gives none [default: 5m]'
            cand --max-wait 'Longest long-poll wait a request may ask for [default: 10m]'
            cand --max-meta-bytes 'Largest metadata body accepted, in bytes [default: 1048576]'
            cand --history 'Metadata versions kept per cluster [default: 10]'
            cand --store-timeout 'Deadline of every store call; past it requests answer 503 [default: 3s]'
            cand --max-connections 'Open connections served at once; beyond it new ones get 503 [default: 20000]'
            cand --body-timeout 'How long a request body may take to arrive in all, and an answer may stall while written; past it 408 or a closed connection [default: 10s]'
            cand --client-rate 'Registrations and metadata writes a second per client address, in bursts of ten times that; beyond it 429 (0: no limit) [default: 200]'
            cand --max-cluster-nodes 'Nodes one cluster may have; registrations beyond it get 429 (0: no limit) [default: 25000]'
            cand --metrics-open 'Serve /metrics without a token even when the manager has tokens (for scrapers that cannot send one) [default: false]'
            cand --token-file 'Bearer tokens, one `ROLE TOKEN [CLUSTER,…]` per line (roles: read, node, admin); without tokens the API is open to anyone who can reach it'
            cand --tls-cert 'Serve HTTPS with this certificate chain (PEM); needs --tls-key'
            cand --tls-key 'Private key of --tls-cert (PEM)'
            cand --etcd-cacert 'CA (PEM) that signed etcd''s certificates; required with https:// endpoints'
            cand --etcd-cert 'Client certificate (PEM) for etcd members that require one; needs --etcd-key'
            cand --etcd-key 'Private key of --etcd-cert (PEM)'
            cand --etcd-user 'etcd user, for an etcd with authentication enabled; the password comes from --etcd-password-file or CFLUX_ETCD_PASSWORD'
            cand --etcd-password-file 'File whose first line is the etcd user''s password'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'cflux;completions'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;generate'= {
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cflux;agent'= {
            cand --cluster 'The cluster this node belongs to'
            cand --influx-url 'The local influxd''s HTTP API'
            cand --influx-username 'InfluxDB user (an admin: the agent creates and drops databases)'
            cand --influx-password 'influx-password'
            cand --state-dir 'Where the node id and the last synced schema are kept'
            cand --hostname 'The node''s hostname in the cluster [default: this machine''s]'
            cand --bind-address 'The address other members use [default: host:port of --influx-url]'
            cand --poll 'How often the local schema is checked for changes'
            cand --metrics-listen 'Serve Prometheus metrics at http://ADDR/metrics [default: off]'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --publish-local 'Without a synced schema (a new node, or a lost state folder), also publish the objects only this node has (not those the cluster lists as dropped); by default they are kept on the node but not published'
            cand --leave 'Remove this node from the cluster for good (and forget its state), then exit'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'cflux;bench'= {
            cand --etcd 'Also run the etcd equivalent against these endpoints and print cflux/etcd'
            cand --clients 'Concurrent clients'
            cand --duration 'How long each measured scenario runs'
            cand --nodes 'Nodes registered before nodes-list'
            cand --parked 'Long polls parked before the fan-out write'
            cand --hold 'fanout: keep the polls parked this long before the write (to measure the manager meanwhile)'
            cand --batch 'Points per write (relay)'
            cand --queued 'Points queued for a dead member before the relay''s memory is read (relay)'
            cand --influxd 'The InfluxDB 1.x server to start (relay)'
            cand --endpoint 'Manager base URLs, tried in order when one cannot be reached'
            cand --timeout 'Timeout of ordinary requests to the manager (not of long polls)'
            cand --token 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)'
            cand --cacert 'CA certificate (PEM) to check https:// managers against instead of the system''s roots'
            cand -o 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand --output 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
    ]
    $completions[$command]
}
