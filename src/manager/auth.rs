//! Bearer tokens and what each may do.
//!
//! A manager started with tokens (`--token-file FILE` or `CFLUX_TOKENS`)
//! answers only requests that carry one of them as
//! `Authorization: Bearer TOKEN`, except the health checks. Each token has a
//! role:
//!
//! * `read` — any `GET`;
//! * `node` — anything under `/nodes/{cluster}` and `/clusters/{cluster}` for
//!   the clusters listed with the token (`*` for all): what an InfluxDB node
//!   or its agent does (register, heartbeat, go down, deregister, read and
//!   write metadata, list its cluster);
//! * `admin` — everything.
//!
//! `GET /snapshot` (all of the manager's state) is for admins only.
//!
//! The file has one token per line, `ROLE TOKEN [CLUSTER,…] [name=NAME]`;
//! blank lines and lines starting with `#` are skipped. The name is who
//! the token is (`name=ci-deploy`): metadata versions record it as their
//! writer, and deregistrations and forced downs are logged with it. A token
//! without one is called `ROLE token on line N`. `CFLUX_TOKENS` holds the same lines,
//! separated by newlines or `;`. Tokens are compared in constant time and
//! never printed.

use std::collections::HashSet;

use subtle::ConstantTimeEq;

/// Shortest token accepted: anything shorter is guessable.
pub const MIN_TOKEN_LEN: usize = 16;

#[derive(Clone, PartialEq, Eq)]
pub enum Role {
    Read,
    Node(Clusters),
    Admin,
}

/// The clusters a `node` token may act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clusters {
    All,
    Only(HashSet<String>),
}

impl Clusters {
    fn allows(&self, cluster: &str) -> bool {
        match self {
            Clusters::All => true,
            Clusters::Only(names) => names.contains(cluster),
        }
    }
}

/// The configured tokens.
#[derive(Clone)]
pub struct Tokens {
    entries: Vec<Entry>,
}

#[derive(Clone)]
struct Entry {
    token: Vec<u8>,
    role: Role,
    name: String,
}

/// Longest token name: it ends up in every version it writes.
pub const MAX_NAME_LEN: usize = 64;

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tokens({} configured, values hidden)",
            self.entries.len()
        )
    }
}

/// What a request is, as far as access goes.
pub struct Request<'a> {
    pub method: &'a axum::http::Method,
    /// The raw path, cluster names still percent-encoded.
    pub path: &'a str,
}

impl Tokens {
    /// Parses token lines; the error names the line (never the token).
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut entries: Vec<Entry> = Vec::new();
        for (n, line) in text.split(['\n', ';']).enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("token line {}", n + 1);
            let mut name = None;
            let mut fields = Vec::new();
            for word in line.split_whitespace() {
                match word.strip_prefix("name=") {
                    Some(_) if name.is_some() => return Err(format!("{at}: two names")),
                    Some(given) => {
                        name = Some(check_name(given).map_err(|e| format!("{at}: {e}"))?)
                    }
                    None => fields.push(word),
                }
            }
            let mut words = fields.into_iter();
            let (role, token) = match (words.next(), words.next()) {
                (Some(r), Some(t)) => (r, t),
                _ => {
                    return Err(format!(
                        "{at}: expected `ROLE TOKEN [CLUSTER,…] [name=NAME]`"
                    ));
                }
            };
            let name = name.unwrap_or_else(|| format!("{role} token on line {}", n + 1));
            let clusters = words.next();
            if words.next().is_some() {
                return Err(format!("{at}: too many fields (list clusters with commas)"));
            }
            if token.len() < MIN_TOKEN_LEN {
                return Err(format!(
                    "{at}: tokens need at least {MIN_TOKEN_LEN} characters"
                ));
            }
            let role = match (role, clusters) {
                ("read", None) => Role::Read,
                ("admin", None) => Role::Admin,
                ("read" | "admin", Some(_)) => {
                    return Err(format!("{at}: only node tokens are limited to clusters"));
                }
                ("node", None) => {
                    return Err(format!(
                        "{at}: a node token lists its clusters (or `*` for all)"
                    ));
                }
                ("node", Some("*")) => Role::Node(Clusters::All),
                // Names as in paths: `a%2Fb` is the cluster `a/b`, `Caf%C3%A9`
                // is `Café`, so a name with a comma or space can be listed.
                ("node", Some(list)) => Role::Node(Clusters::Only(
                    list.split(',')
                        .filter(|c| !c.is_empty())
                        .map(|c| {
                            crate::wire::decode_cluster(c).ok_or_else(|| {
                                format!("{at}: cluster {c:?} is not UTF-8 once decoded")
                            })
                        })
                        .collect::<Result<_, _>>()?,
                )),
                (other, _) => {
                    return Err(format!(
                        "{at}: unknown role {other:?} (read, node or admin)"
                    ));
                }
            };
            if entries.iter().any(|e| e.token == token.as_bytes()) {
                return Err(format!("{at}: the same token is listed twice"));
            }
            entries.push(Entry {
                token: token.as_bytes().to_vec(),
                role,
                name,
            });
        }
        if entries.is_empty() {
            return Err("no tokens given".into());
        }
        Ok(Tokens { entries })
    }

    /// The role of `presented`, comparing it with every token in constant
    /// time so that timing tells nothing about which one nearly matched.
    pub fn role(&self, presented: &[u8]) -> Option<&Role> {
        self.lookup(presented).map(|(role, _)| role)
    }

    /// The role and the name of `presented`, in constant time like
    /// [`Tokens::role`].
    pub fn lookup(&self, presented: &[u8]) -> Option<(&Role, &str)> {
        let mut found = None;
        for e in &self.entries {
            if bool::from(e.token.as_slice().ct_eq(presented)) {
                found = Some((&e.role, e.name.as_str()));
            }
        }
        found
    }
}

/// A token's name: 1 to [`MAX_NAME_LEN`] letters, digits, `-`, `_`, `.`,
/// `@`.
fn check_name(name: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.@".contains(c);
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(allowed) {
        return Err(format!(
            "a name is 1 to {MAX_NAME_LEN} letters, digits, `-`, `_`, `.` or `@`"
        ));
    }
    Ok(name.to_string())
}

/// Whether `role` may make `request`.
pub fn allows(role: &Role, request: &Request<'_>) -> bool {
    match role {
        Role::Admin => true,
        Role::Read => {
            matches!(
                *request.method,
                axum::http::Method::GET | axum::http::Method::HEAD
            ) && request.path != "/snapshot"
        }
        // Deleting a cluster's metadata is for admins only.
        Role::Node(_) if is_metadata_delete(request) => false,
        Role::Node(clusters) => {
            cluster_of(request.method, request.path).is_some_and(|c| clusters.allows(&c))
        }
    }
}

/// `DELETE /clusters/{c}`.
fn is_metadata_delete(request: &Request<'_>) -> bool {
    let mut parts = request.path.trim_end_matches('/').split('/').skip(1);
    *request.method == axum::http::Method::DELETE
        && parts.next() == Some("clusters")
        && parts.next().is_some()
        && parts.next().is_none()
}

/// The cluster a `/nodes/{c}…` or `/clusters/{c}…` path names, decoded.
fn cluster_of(method: &axum::http::Method, path: &str) -> Option<String> {
    let mut parts = path.strip_prefix('/')?.split('/');
    match parts.next()? {
        "nodes" | "clusters" => {}
        _ => return None,
    }
    let segment = parts.next().filter(|c| !c.is_empty())?;
    crate::wire::decode_cluster_of(segment, method.as_str(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "admin-token-0123456789";
    const R: &str = "read-token-0123456789";
    const N: &str = "node-token-0123456789";

    fn tokens() -> Tokens {
        Tokens::parse(&format!(
            "# comment\n\nadmin {A}\nread {R}; node {N} prod,a%2Fb,Caf%C3%A9\nnode every-cluster-012345 *"
        ))
        .unwrap()
    }

    fn may(token: &str, method: axum::http::Method, path: &str) -> bool {
        let t = tokens();
        let role = t.role(token.as_bytes()).expect("a known token");
        allows(
            role,
            &Request {
                method: &method,
                path,
            },
        )
    }

    #[test]
    fn roles() {
        use axum::http::Method;
        assert!(may(A, Method::DELETE, "/nodes/prod/1"));
        assert!(may(R, Method::GET, "/nodes"));
        assert!(!may(R, Method::POST, "/clusters/prod/versions/0"));
        assert!(may(N, Method::POST, "/nodes/prod"));
        assert!(
            may(N, Method::POST, "/nodes/a%2Fb"),
            "listed encoded, compared decoded"
        );
        assert!(may(N, Method::GET, "/nodes/Caf%C3%A9"));
        assert!(!may(N, Method::DELETE, "/clusters/prod"));
        assert!(may(A, Method::DELETE, "/clusters/prod"));
        assert!(!may(R, Method::DELETE, "/clusters/prod"));
        assert!(may(N, Method::GET, "/clusters/prod/versions/3"));
        assert!(!may(N, Method::POST, "/nodes/staging"), "not its cluster");
        assert!(!may(N, Method::GET, "/nodes"), "not every cluster");
        assert!(!may(N, Method::GET, "/clusters"));
        assert!(may(
            "every-cluster-012345",
            Method::PUT,
            "/nodes/anything/4"
        ));
        assert!(may(A, Method::GET, "/snapshot"));
        assert!(!may(R, Method::GET, "/snapshot"), "all state is for admins");
        assert!(!may(N, Method::GET, "/snapshot"));
        assert!(tokens().role(b"admin-token-012345678").is_none());
        assert!(tokens().role(b"").is_none());
    }

    #[test]
    fn tokens_have_names() {
        let t = Tokens::parse(&format!(
            "admin {A} name=ops\nnode {N} prod name=agents\nread {R}"
        ))
        .unwrap();
        assert_eq!(t.lookup(A.as_bytes()).map(|(_, n)| n), Some("ops"));
        let (role, name) = t.lookup(N.as_bytes()).unwrap();
        assert_eq!(name, "agents");
        assert!(matches!(role, Role::Node(Clusters::Only(c)) if c.contains("prod")));
        assert_eq!(
            t.lookup(R.as_bytes()).map(|(_, n)| n),
            Some("read token on line 3")
        );
    }

    #[test]
    fn bad_files_are_refused_without_showing_tokens() {
        for (text, says) in [
            ("admin short", "at least 16"),
            ("root 0123456789abcdefgh", "unknown role"),
            ("node 0123456789abcdefgh", "lists its clusters"),
            ("read 0123456789abcdefgh prod", "only node tokens"),
            ("admin 0123456789abcdefgh\nread 0123456789abcdefgh", "twice"),
            ("# nothing", "no tokens"),
            ("admin", "expected"),
            ("admin 0123456789abcdefgh name=", "a name is"),
            ("admin 0123456789abcdefgh name=a/b", "a name is"),
            ("admin 0123456789abcdefgh name=a name=b", "two names"),
        ] {
            let e = Tokens::parse(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(!e.contains("0123456789abcdefgh"), "{e}");
        }
        assert_eq!(
            format!("{:?}", tokens()),
            "Tokens(4 configured, values hidden)"
        );
    }
}
