//! Tests of the configuration: defaults, precedence, validation.

use super::*;

#[test]
fn defaults_match_the_documentation() {
    let c = ServeArgs::default().resolve().unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8000");
    assert_eq!(c.store, StoreConfig::Embedded(PathBuf::from("cflux-data")));
    assert_eq!(c.node_ttl, Duration::from_secs(15));
    assert_eq!(c.forget_after, Duration::from_secs(3600));
    assert_eq!(c.default_wait, Duration::from_secs(300));
    assert_eq!(c.max_wait, Duration::from_secs(600));
    assert_eq!(c.max_meta_bytes, 1 << 20);
    assert_eq!(c.history, 10);
    assert_eq!(c.max_connections, 20_000);
    assert_eq!(c.client_rate, 200);
    assert_eq!(c.body_timeout, Duration::from_secs(10));
    assert_eq!(c.max_cluster_nodes, 25_000);
}

#[test]
fn flags_beat_the_file_which_beats_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cflux.toml");
    std::fs::write(
        &path,
        "node-ttl = \"30s\"\nhistory = 3\netcd = [\"http://127.0.0.1:2379\"]\n",
    )
    .unwrap();
    let args = ServeArgs {
        config: Some(path),
        history: Some(5),
        ..Default::default()
    };
    let c = args.resolve().unwrap();
    assert_eq!(c.node_ttl, Duration::from_secs(30));
    assert_eq!(c.history, 5);
    assert_eq!(
        c.store,
        StoreConfig::Etcd(EtcdConfig::plain(vec!["http://127.0.0.1:2379".into()]))
    );
}

#[test]
fn tokens_come_from_a_file_or_the_environment() {
    let dir = std::env::temp_dir().join(format!("cflux-tokens-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tokens");
    std::fs::write(&file, "# ops\nadmin 0123456789abcdef0123\n").unwrap();
    let from_file = ServeArgs {
        token_file: Some(file.clone()),
        ..Default::default()
    };
    assert!(from_file.clone().resolve().unwrap().tokens.is_some());
    let inline = ServeArgs {
        tokens: Some("read 0123456789abcdef0123; admin fedcba98765432100123".into()),
        ..Default::default()
    };
    assert!(inline.resolve().unwrap().tokens.is_some());
    let both = ServeArgs {
        token_file: Some(file.clone()),
        tokens: Some("admin 0123456789abcdef0123".into()),
        ..Default::default()
    };
    assert!(both.resolve().unwrap_err().to_string().contains("not both"));
    std::fs::write(&file, "admin 0123456789abcdef0123 prod\n").unwrap();
    let e = from_file.resolve().unwrap_err().to_string();
    assert!(e.contains("tokens") && e.contains("line 1"), "{e}");
    assert!(!e.contains("0123456789abcdef0123"), "{e}");
    assert!(ServeArgs::default().resolve().unwrap().tokens.is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_settings_are_refused() {
    let bad = [
        ServeArgs {
            node_ttl: Some(Duration::from_secs(1)),
            ..Default::default()
        },
        ServeArgs {
            default_wait: Some(Duration::from_secs(700)),
            ..Default::default()
        },
        ServeArgs {
            history: Some(0),
            ..Default::default()
        },
        ServeArgs {
            etcd: vec!["127.0.0.1:2379".into()],
            ..Default::default()
        },
        ServeArgs {
            etcd: vec![
                "https://127.0.0.1:2379".into(),
                "http://127.0.0.1:2380".into(),
            ],
            ..Default::default()
        },
        ServeArgs {
            etcd: vec!["http://127.0.0.1:2379".into()],
            etcd_cacert: Some("ca.pem".into()),
            ..Default::default()
        },
        ServeArgs {
            etcd: vec!["http://127.0.0.1:2379".into()],
            etcd_user: Some("cflux".into()),
            ..Default::default()
        },
        ServeArgs {
            etcd: vec!["http://127.0.0.1:2379".into()],
            etcd_password: Some("secret".into()),
            ..Default::default()
        },
        ServeArgs {
            tls_cert: Some("cert.pem".into()),
            ..Default::default()
        },
        ServeArgs {
            etcd: vec!["http://127.0.0.1:2379".into()],
            max_meta_bytes: Some(2 << 20),
            ..Default::default()
        },
    ];
    for args in bad {
        assert!(args.clone().resolve().is_err(), "{args:?} was accepted");
    }
}

#[test]
fn etcd_tls_and_user_come_from_flags_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "s3cret\n").unwrap();
    let path = dir.path().join("cflux.toml");
    let text = format!(
        "etcd = \"https://127.0.0.1:2379\"\netcd-cacert = \"ca.pem\"\n\
         etcd-cert = \"c.pem\"\netcd-key = \"c.key\"\netcd-user = \"cflux\"\n\
         etcd-password-file = {:?}\ntls-cert = \"s.pem\"\ntls-key = \"s.key\"\n",
        password.display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    let c = ServeArgs {
        config: Some(path),
        ..Default::default()
    }
    .merge()
    .unwrap();
    let StoreConfig::Etcd(etcd) = &c.store else {
        panic!("{:?}", c.store)
    };
    assert!(etcd.uses_tls());
    assert_eq!(etcd.cacert, Some(PathBuf::from("ca.pem")));
    assert_eq!(etcd.identity.as_ref().unwrap().key, PathBuf::from("c.key"));
    let user = etcd.user.as_ref().unwrap();
    assert_eq!(
        (user.name.as_str(), user.password.as_str()),
        ("cflux", "s3cret")
    );
    assert!(!format!("{c:?}").contains("s3cret"));
    let args = ServeArgs {
        tokens: Some("admin token-s3cret-0123456789".into()),
        etcd_password: Some("s3cret".into()),
        ..Default::default()
    };
    assert!(!format!("{args:?}").contains("s3cret"));
    assert_eq!(c.tls.unwrap().cert, PathBuf::from("s.pem"));
}

#[test]
fn unknown_file_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cflux.toml");
    std::fs::write(&path, "node_ttl = \"30s\"\n").unwrap();
    let args = ServeArgs {
        config: Some(path),
        ..Default::default()
    };
    assert!(args.resolve().is_err());
}
