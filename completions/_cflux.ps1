
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'cflux' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'cflux'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'cflux' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('relay', 'relay', [CompletionResultType]::ParameterValue, 'Run the data path: InfluxDB''s /write and /query in front of a cluster, every write to every member')
            [CompletionResult]::new('nodes', 'nodes', [CompletionResultType]::ParameterValue, 'List, register, heartbeat and deregister nodes')
            [CompletionResult]::new('clusters', 'clusters', [CompletionResultType]::ParameterValue, 'List clusters with their metadata versions and node counts')
            [CompletionResult]::new('meta', 'meta', [CompletionResultType]::ParameterValue, 'Read and write a cluster''s versioned metadata')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save a manager''s whole state to a file, inspect one, restore one into an empty store')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the ClusterFlux manager: node membership and versioned metadata over HTTP')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script of a shell')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ under DIR (for maintainers)')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Join the local influxd to a cluster and keep its schema in step with the other members')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure a manager (and, with --etcd, etcd doing the same) under node-like load')
            break
        }
        'cflux;relay' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'A TOML file with these options (flags and environment override it)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The cluster this relay fronts [default: default]')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Where InfluxDB clients connect [default: 127.0.0.1:8087]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Where the members'' queues are kept [default: ./cflux-relay]')
            [CompletionResult]::new('--queue-max-bytes', '--queue-max-bytes', [CompletionResultType]::ParameterName, 'The most one member''s queue holds, in bytes; past it, its oldest entries are dropped [default: 1073741824]')
            [CompletionResult]::new('--queue-max-age', '--queue-max-age', [CompletionResultType]::ParameterName, 'The oldest entry a member''s queue keeps; older ones are dropped [default: 24h]')
            [CompletionResult]::new('--write-timeout', '--write-timeout', [CompletionResultType]::ParameterName, 'How long a member may take to answer a write before the write is queued for it instead [default: 10s]')
            [CompletionResult]::new('--schema-wait', '--schema-wait', [CompletionResultType]::ParameterName, 'How long a schema statement (CREATE DATABASE, …) waits for the agents to publish it before it is answered [default: 10s]')
            [CompletionResult]::new('--max-body-bytes', '--max-body-bytes', [CompletionResultType]::ParameterName, 'The largest write body, in bytes once gunzipped, as influxd''s max-body-size [default: 25000000]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each member of a running relay: alive, caught up, its queue')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;relay;status' {
            [CompletionResult]::new('--relay', '--relay', [CompletionResultType]::ParameterName, 'The relay to ask')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;relay;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each member of a running relay: alive, caught up, its queue')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;relay;help;status' {
            break
        }
        'cflux;relay;help;help' {
            break
        }
        'cflux;nodes' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List managers and InfluxDB nodes (all clusters, or one)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a node by hand (nodes normally register themselves)')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Send one heartbeat for a node')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Mark a node down now (it stays listed, not alive, until it heartbeats again)')
            [CompletionResult]::new('deregister', 'deregister', [CompletionResultType]::ParameterValue, 'Remove a node for good')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;nodes;list' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often --watch redraws a terminal''s table; changes show at once')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Keep watching: redraw (on a terminal) or print again (elsewhere) whenever nodes come, go, live or die')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep watching: redraw (on a terminal) or print again (elsewhere) whenever nodes come, go, live or die')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;nodes;register' {
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'hostname')
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'Comma-joined addresses [default: the address the manager sees]')
            [CompletionResult]::new('--bind-address', '--bind-address', [CompletionResultType]::ParameterName, 'The node''s bind-address [default: the address the manager sees]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;nodes;refresh' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;nodes;down' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;nodes;deregister' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;nodes;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List managers and InfluxDB nodes (all clusters, or one)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a node by hand (nodes normally register themselves)')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Send one heartbeat for a node')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Mark a node down now (it stays listed, not alive, until it heartbeats again)')
            [CompletionResult]::new('deregister', 'deregister', [CompletionResultType]::ParameterValue, 'Remove a node for good')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;nodes;help;list' {
            break
        }
        'cflux;nodes;help;register' {
            break
        }
        'cflux;nodes;help;refresh' {
            break
        }
        'cflux;nodes;help;down' {
            break
        }
        'cflux;nodes;help;deregister' {
            break
        }
        'cflux;nodes;help;help' {
            break
        }
        'cflux;clusters' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List clusters with their metadata version and node counts')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;clusters;list' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;clusters;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List clusters with their metadata version and node counts')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;clusters;help;list' {
            break
        }
        'cflux;clusters;help;help' {
            break
        }
        'cflux;meta' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a cluster''s metadata, bytes as stored')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Write metadata based on version N; prints the new version')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Follow the metadata: one JSON line per version, or run a command per version')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List the retained versions with time and size')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a cluster''s metadata, every retained version (admin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;meta;get' {
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'A retained version instead of the newest')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;meta;put' {
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'The version this write is based on (0 for a cluster without metadata)')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type recorded with the metadata')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;meta;watch' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Start after version N instead of at the current version')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cflux;meta;history' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;meta;delete' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Delete even while nodes of the cluster are alive')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cflux;meta;help' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a cluster''s metadata, bytes as stored')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Write metadata based on version N; prints the new version')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Follow the metadata: one JSON line per version, or run a command per version')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List the retained versions with time and size')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a cluster''s metadata, every retained version (admin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;meta;help;get' {
            break
        }
        'cflux;meta;help;put' {
            break
        }
        'cflux;meta;help;watch' {
            break
        }
        'cflux;meta;help;history' {
            break
        }
        'cflux;meta;help;delete' {
            break
        }
        'cflux;meta;help;help' {
            break
        }
        'cflux;snapshot' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a running manager''s state (admin role) to FILE, or with --data-dir a stopped manager''s embedded store')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Verify FILE and print what it holds')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore FILE into an empty store, with no manager running on it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;snapshot;save' {
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Read the embedded store in DIR directly (its manager stopped) instead of asking a running manager')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;snapshot;inspect' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;snapshot;restore' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML file of `cflux serve`, for its store options')
            [CompletionResult]::new('--etcd', '--etcd', [CompletionResultType]::ParameterName, 'etcd v3 endpoints (comma-separated URLs)')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Directory of the embedded store (without --etcd) [default: ./cflux-data]')
            [CompletionResult]::new('--etcd-cacert', '--etcd-cacert', [CompletionResultType]::ParameterName, 'CA (PEM) that signed etcd''s certificates')
            [CompletionResult]::new('--etcd-cert', '--etcd-cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for etcd')
            [CompletionResult]::new('--etcd-key', '--etcd-key', [CompletionResultType]::ParameterName, 'Private key of --etcd-cert (PEM)')
            [CompletionResult]::new('--etcd-user', '--etcd-user', [CompletionResultType]::ParameterName, 'etcd user (password from --etcd-password-file or CFLUX_ETCD_PASSWORD)')
            [CompletionResult]::new('--etcd-password-file', '--etcd-password-file', [CompletionResultType]::ParameterName, 'File whose first line is the etcd user''s password')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace whatever cflux state the store holds')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;snapshot;help' {
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a running manager''s state (admin role) to FILE, or with --data-dir a stopped manager''s embedded store')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Verify FILE and print what it holds')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore FILE into an empty store, with no manager running on it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;snapshot;help;save' {
            break
        }
        'cflux;snapshot;help;inspect' {
            break
        }
        'cflux;snapshot;help;restore' {
            break
        }
        'cflux;snapshot;help;help' {
            break
        }
        'cflux;help' {
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the ClusterFlux manager: node membership and versioned metadata over HTTP')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Join the local influxd to a cluster and keep its schema in step with the other members')
            [CompletionResult]::new('relay', 'relay', [CompletionResultType]::ParameterValue, 'Run the data path: InfluxDB''s /write and /query in front of a cluster, every write to every member')
            [CompletionResult]::new('nodes', 'nodes', [CompletionResultType]::ParameterValue, 'List, register, heartbeat and deregister nodes')
            [CompletionResult]::new('clusters', 'clusters', [CompletionResultType]::ParameterValue, 'List clusters with their metadata versions and node counts')
            [CompletionResult]::new('meta', 'meta', [CompletionResultType]::ParameterValue, 'Read and write a cluster''s versioned metadata')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save a manager''s whole state to a file, inspect one, restore one into an empty store')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure a manager (and, with --etcd, etcd doing the same) under node-like load')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script of a shell')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ under DIR (for maintainers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cflux;help;serve' {
            break
        }
        'cflux;help;agent' {
            break
        }
        'cflux;help;relay' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each member of a running relay: alive, caught up, its queue')
            break
        }
        'cflux;help;relay;status' {
            break
        }
        'cflux;help;nodes' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List managers and InfluxDB nodes (all clusters, or one)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a node by hand (nodes normally register themselves)')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Send one heartbeat for a node')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Mark a node down now (it stays listed, not alive, until it heartbeats again)')
            [CompletionResult]::new('deregister', 'deregister', [CompletionResultType]::ParameterValue, 'Remove a node for good')
            break
        }
        'cflux;help;nodes;list' {
            break
        }
        'cflux;help;nodes;register' {
            break
        }
        'cflux;help;nodes;refresh' {
            break
        }
        'cflux;help;nodes;down' {
            break
        }
        'cflux;help;nodes;deregister' {
            break
        }
        'cflux;help;clusters' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List clusters with their metadata version and node counts')
            break
        }
        'cflux;help;clusters;list' {
            break
        }
        'cflux;help;meta' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a cluster''s metadata, bytes as stored')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Write metadata based on version N; prints the new version')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Follow the metadata: one JSON line per version, or run a command per version')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List the retained versions with time and size')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a cluster''s metadata, every retained version (admin)')
            break
        }
        'cflux;help;meta;get' {
            break
        }
        'cflux;help;meta;put' {
            break
        }
        'cflux;help;meta;watch' {
            break
        }
        'cflux;help;meta;history' {
            break
        }
        'cflux;help;meta;delete' {
            break
        }
        'cflux;help;snapshot' {
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a running manager''s state (admin role) to FILE, or with --data-dir a stopped manager''s embedded store')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Verify FILE and print what it holds')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore FILE into an empty store, with no manager running on it')
            break
        }
        'cflux;help;snapshot;save' {
            break
        }
        'cflux;help;snapshot;inspect' {
            break
        }
        'cflux;help;snapshot;restore' {
            break
        }
        'cflux;help;bench' {
            break
        }
        'cflux;help;completions' {
            break
        }
        'cflux;help;generate' {
            break
        }
        'cflux;help;help' {
            break
        }
        'cflux;serve' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'TOML file with any of the options below (kebab-case keys)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on [default: 127.0.0.1:8000]')
            [CompletionResult]::new('--advertise', '--advertise', [CompletionResultType]::ParameterName, 'Address this manager reports as its bind-address [default: the listen address, or the first non-loopback address when listening on 0.0.0.0]')
            [CompletionResult]::new('--etcd', '--etcd', [CompletionResultType]::ParameterName, 'etcd v3 endpoints (comma-separated URLs); without it, the embedded store')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Directory of the embedded store [default: ./cflux-data]')
            [CompletionResult]::new('--node-ttl', '--node-ttl', [CompletionResultType]::ParameterName, 'How long a node stays alive without a heartbeat [default: 15s, minimum 2s]')
            [CompletionResult]::new('--drift-after', '--drift-after', [CompletionResultType]::ParameterName, 'How long a node''s applied metadata version may trail its cluster''s before the node is listed as drifting [default: 2m]')
            [CompletionResult]::new('--forget-after', '--forget-after', [CompletionResultType]::ParameterName, 'How long a node whose TTL lapsed stays listed as not alive [default: 1h]')
            [CompletionResult]::new('--default-wait', '--default-wait', [CompletionResultType]::ParameterName, 'Long-poll wait when the request gives none [default: 5m]')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Longest long-poll wait a request may ask for [default: 10m]')
            [CompletionResult]::new('--max-meta-bytes', '--max-meta-bytes', [CompletionResultType]::ParameterName, 'Largest metadata body accepted, in bytes [default: 1048576]')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'Metadata versions kept per cluster [default: 10]')
            [CompletionResult]::new('--store-timeout', '--store-timeout', [CompletionResultType]::ParameterName, 'Deadline of every store call; past it requests answer 503 [default: 3s]')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Open connections served at once; beyond it new ones get 503 [default: 20000]')
            [CompletionResult]::new('--body-timeout', '--body-timeout', [CompletionResultType]::ParameterName, 'How long a request body may take to arrive in all, and an answer may stall while written; past it 408 or a closed connection [default: 10s]')
            [CompletionResult]::new('--client-rate', '--client-rate', [CompletionResultType]::ParameterName, 'Registrations and metadata writes a second per client address, in bursts of ten times that; beyond it 429 (0: no limit) [default: 200]')
            [CompletionResult]::new('--max-cluster-nodes', '--max-cluster-nodes', [CompletionResultType]::ParameterName, 'Nodes one cluster may have; registrations beyond it get 429 (0: no limit) [default: 25000]')
            [CompletionResult]::new('--metrics-open', '--metrics-open', [CompletionResultType]::ParameterName, 'Serve /metrics without a token even when the manager has tokens (for scrapers that cannot send one) [default: false]')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'Bearer tokens, one `ROLE TOKEN [CLUSTER,…]` per line (roles: read, node, admin); without tokens the API is open to anyone who can reach it')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve HTTPS with this certificate chain (PEM); needs --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'Private key of --tls-cert (PEM)')
            [CompletionResult]::new('--etcd-cacert', '--etcd-cacert', [CompletionResultType]::ParameterName, 'CA (PEM) that signed etcd''s certificates; required with https:// endpoints')
            [CompletionResult]::new('--etcd-cert', '--etcd-cert', [CompletionResultType]::ParameterName, 'Client certificate (PEM) for etcd members that require one; needs --etcd-key')
            [CompletionResult]::new('--etcd-key', '--etcd-key', [CompletionResultType]::ParameterName, 'Private key of --etcd-cert (PEM)')
            [CompletionResult]::new('--etcd-user', '--etcd-user', [CompletionResultType]::ParameterName, 'etcd user, for an etcd with authentication enabled; the password comes from --etcd-password-file or CFLUX_ETCD_PASSWORD')
            [CompletionResult]::new('--etcd-password-file', '--etcd-password-file', [CompletionResultType]::ParameterName, 'File whose first line is the etcd user''s password')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cflux;completions' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;generate' {
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cflux;agent' {
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The cluster this node belongs to')
            [CompletionResult]::new('--influx-url', '--influx-url', [CompletionResultType]::ParameterName, 'The local influxd''s HTTP API')
            [CompletionResult]::new('--influx-username', '--influx-username', [CompletionResultType]::ParameterName, 'InfluxDB user (an admin: the agent creates and drops databases)')
            [CompletionResult]::new('--influx-password', '--influx-password', [CompletionResultType]::ParameterName, 'influx-password')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where the node id and the last synced schema are kept')
            [CompletionResult]::new('--hostname', '--hostname', [CompletionResultType]::ParameterName, 'The node''s hostname in the cluster [default: this machine''s]')
            [CompletionResult]::new('--bind-address', '--bind-address', [CompletionResultType]::ParameterName, 'The address other members use [default: host:port of --influx-url]')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'How often the local schema is checked for changes')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics at http://ADDR/metrics [default: off]')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--publish-local', '--publish-local', [CompletionResultType]::ParameterName, 'Without a synced schema (a new node, or a lost state folder), also publish the objects only this node has (not those the cluster lists as dropped); by default they are kept on the node but not published')
            [CompletionResult]::new('--leave', '--leave', [CompletionResultType]::ParameterName, 'Remove this node from the cluster for good (and forget its state), then exit')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'cflux;bench' {
            [CompletionResult]::new('--etcd', '--etcd', [CompletionResultType]::ParameterName, 'Also run the etcd equivalent against these endpoints and print cflux/etcd')
            [CompletionResult]::new('--clients', '--clients', [CompletionResultType]::ParameterName, 'Concurrent clients')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long each measured scenario runs')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'Nodes registered before nodes-list')
            [CompletionResult]::new('--parked', '--parked', [CompletionResultType]::ParameterName, 'Long polls parked before the fan-out write')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'fanout: keep the polls parked this long before the write (to measure the manager meanwhile)')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Points per write (relay)')
            [CompletionResult]::new('--queued', '--queued', [CompletionResultType]::ParameterName, 'Points queued for a dead member before the relay''s memory is read (relay)')
            [CompletionResult]::new('--influxd', '--influxd', [CompletionResultType]::ParameterName, 'The InfluxDB 1.x server to start (relay)')
            [CompletionResult]::new('--endpoint', '--endpoint', [CompletionResultType]::ParameterName, 'Manager base URLs, tried in order when one cannot be reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of ordinary requests to the manager (not of long polls)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for managers started with tokens (the agent needs a `node` token for its cluster)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'CA certificate (PEM) to check https:// managers against instead of the system''s roots')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: tables for people, the API''s JSON for scripts (`wide`: tables with more columns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
