//! `weir configs`: describe and alter topic and broker configs (as kafka-configs).

use anyhow::bail;
use clap::{ArgGroup, Args, ValueEnum};
use weir::client::{Admin, AlterConfigOp, ConfigEntry, ConfigResource, ResourceType};

use crate::common::{ConnectArgs, Output};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EntityType {
    Topics,
    Brokers,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("action").required(true).args(["describe", "alter"])))]
pub struct ConfigsArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Show the entity's configs.
    #[arg(long)]
    pub describe: bool,
    /// Change the entity's configs with --add-config / --delete-config.
    #[arg(long)]
    pub alter: bool,
    /// topics or brokers.
    #[arg(long, value_enum)]
    pub entity_type: EntityType,
    /// The topic name or broker id.
    #[arg(long)]
    pub entity_name: Option<String>,
    /// With --describe: every config, defaults included.
    #[arg(long)]
    pub all: bool,
    /// Configs to set: k1=v1,k2=v2 (a value with commas goes in brackets: k=[a,b]).
    #[arg(long)]
    pub add_config: Option<String>,
    /// Config names to remove: k1,k2.
    #[arg(long)]
    pub delete_config: Option<String>,
}

pub async fn run(args: ConfigsArgs) -> anyhow::Result<()> {
    let Some(name) = args.entity_name.clone() else {
        bail!("--entity-name is required");
    };
    let resource = ConfigResource {
        resource_type: match args.entity_type {
            EntityType::Topics => ResourceType::Topic,
            EntityType::Brokers => ResourceType::Broker,
        },
        name,
    };
    let admin = Admin::connect(args.connect.cluster_options()?).await?;
    if args.describe {
        describe(&admin, &args, &resource).await
    } else {
        let ops = alter_ops(args.add_config.as_deref(), args.delete_config.as_deref())?;
        if ops.is_empty() {
            bail!("--alter needs --add-config or --delete-config");
        }
        admin
            .incremental_alter_configs(&resource, &ops, false)
            .await?;
        println!(
            "Completed updating config for {}.",
            entity_label(&args, &resource)
        );
        Ok(())
    }
}

fn entity_label(args: &ConfigsArgs, resource: &ConfigResource) -> String {
    match args.entity_type {
        EntityType::Topics => format!("topic {}", resource.name),
        EntityType::Brokers => format!("broker {}", resource.name),
    }
}

async fn describe(
    admin: &Admin,
    args: &ConfigsArgs,
    resource: &ConfigResource,
) -> anyhow::Result<()> {
    let entries = admin.describe_configs(resource).await?;
    let mut out = Output::new();
    let heading = if args.all { "All" } else { "Dynamic" };
    out.line(&format!(
        "{heading} configs for {} are:",
        entity_label(args, resource)
    ))?;
    for entry in entries.iter().filter(|e| args.all || is_dynamic(e)) {
        if !out.line(&format!("  {}", describe_line(entry)))? {
            break;
        }
    }
    out.flush()?;
    Ok(())
}

/// Whether an operator set this config at runtime (what kafka-configs shows by default).
fn is_dynamic(entry: &ConfigEntry) -> bool {
    (1..=3).contains(&entry.source)
}

/// Kafka's ConfigSource names.
fn source_name(source: i8) -> &'static str {
    match source {
        1 => "DYNAMIC_TOPIC_CONFIG",
        2 => "DYNAMIC_BROKER_CONFIG",
        3 => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        4 => "STATIC_BROKER_CONFIG",
        5 => "DEFAULT_CONFIG",
        6 => "DYNAMIC_BROKER_LOGGER_CONFIG",
        _ => "UNKNOWN",
    }
}

/// `name=value sensitive=false synonyms={SOURCE:name=value}`, as kafka-configs prints.
pub fn describe_line(entry: &ConfigEntry) -> String {
    let value = if entry.is_sensitive {
        None
    } else {
        entry.value.clone()
    };
    let value = value.unwrap_or_else(|| "null".into());
    format!(
        "{name}={value} sensitive={sensitive} synonyms={{{source}:{name}={value}}}",
        name = entry.name,
        sensitive = entry.is_sensitive,
        source = source_name(entry.source)
    )
}

/// Parses `--add-config` and `--delete-config` into operations.
pub fn alter_ops(add: Option<&str>, delete: Option<&str>) -> anyhow::Result<Vec<AlterConfigOp>> {
    let mut ops = Vec::new();
    for item in split_configs(add.unwrap_or("")) {
        let Some((name, value)) = item.split_once('=') else {
            bail!("--add-config expects k=v pairs, got {item:?}");
        };
        let value = value
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .unwrap_or(value);
        ops.push(AlterConfigOp::Set {
            name: name.trim().to_string(),
            value: value.to_string(),
        });
    }
    for name in delete.unwrap_or("").split(',').map(str::trim) {
        if !name.is_empty() {
            ops.push(AlterConfigOp::Delete {
                name: name.to_string(),
            });
        }
    }
    Ok(ops)
}

/// Splits on commas outside `[...]`.
fn split_configs(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items.into_iter().filter(|i| !i.trim().is_empty()).collect()
}
