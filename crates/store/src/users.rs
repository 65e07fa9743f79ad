//! User accounts and the roles they hold in regions.

use crate::{insert_audit, now, on_pool, on_unique, Actor, AuditEntry, PageRequest, Paged, Result, Store, StoreError};
use samenspel_domain::access::{Grant, Principal, Role, RoleKind};
use samenspel_domain::account::NewAccount;
use samenspel_domain::MunicipalityCode;
use serde::Serialize;
use time::OffsetDateTime;

/// A user as shown and audited: never with the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub platform_admin: bool,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub password_changed_at: Option<OffsetDateTime>,
}

/// The credentials needed to check a login.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub login: String,
    pub password_hash: Option<String>,
    pub active: bool,
}

/// A role grant with the names needed to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub region_id: i64,
    pub region_code: String,
    pub region_name: String,
    pub role: String,
    pub municipality_code: Option<String>,
    pub municipality_name: Option<String>,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
}

impl GrantRow {
    pub fn role(&self) -> Option<Role> {
        let kind = RoleKind::parse(&self.role).ok()?;
        let municipality = self.municipality_code.as_deref().and_then(|c| MunicipalityCode::parse(c).ok());
        Role::from_parts(kind, municipality, self.provider_id).ok()
    }

    pub fn kind(&self) -> Option<RoleKind> {
        RoleKind::parse(&self.role).ok()
    }
}

const USER_COLUMNS: &str = "id, login, display_name, email, platform_admin, active, created_at, password_changed_at";
const GRANT_SELECT: &str =
    "SELECT g.id, g.user_id, g.region_id, r.code AS region_code, r.name AS region_name, g.role, \
     g.municipality_code, m.name AS municipality_name, g.provider_id, p.name AS provider_name \
     FROM role_grants g JOIN regions r ON r.id = g.region_id \
     LEFT JOIN municipalities m ON m.code = g.municipality_code \
     LEFT JOIN providers p ON p.id = g.provider_id";

impl Store {
    pub async fn create_user(
        &self,
        account: &NewAccount,
        password_hash: Option<&str>,
        platform_admin: bool,
        actor: &Actor,
    ) -> Result<UserRow> {
        let at = now();
        let sql = format!(
            "INSERT INTO users (login, display_name, email, password_hash, platform_admin, active, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING {USER_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let user: UserRow = sqlx::query_as(&sql)
                .bind(account.login.as_str())
                .bind(&account.display_name)
                .bind(&account.email)
                .bind(password_hash)
                .bind(platform_admin)
                .bind(at)
                .bind(password_hash.map(|_| at))
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("login", "Deze gebruikersnaam is al in gebruik."))?;
            let entry = AuditEntry::new("aanmaken", "gebruiker", &user.login).after(&user);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(user)
        })
    }

    /// Creates an account with its first role in a region, in one transaction: a refused role
    /// leaves no account behind. The role is checked as in [`Store::add_grant`].
    pub async fn create_user_in_region(
        &self,
        account: &NewAccount,
        password_hash: Option<&str>,
        region_id: i64,
        role: &Role,
        actor: &Actor,
    ) -> Result<UserRow> {
        self.check_role_fits_region(region_id, role).await?;
        let at = now();
        let sql = format!(
            "INSERT INTO users (login, display_name, email, password_hash, platform_admin, active, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, FALSE, TRUE, $5, $6) RETURNING {USER_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let user: UserRow = sqlx::query_as(&sql)
                .bind(account.login.as_str())
                .bind(&account.display_name)
                .bind(&account.email)
                .bind(password_hash)
                .bind(at)
                .bind(password_hash.map(|_| at))
                .fetch_one(&mut *tx)
                .await
                .map_err(on_unique("login", "Deze gebruikersnaam is al in gebruik."))?;
            let grant_id: i64 = sqlx::query_scalar(
                "INSERT INTO role_grants (user_id, region_id, role, municipality_code, provider_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(user.id)
            .bind(region_id)
            .bind(role.kind().code())
            .bind(role.municipality().map(|m| m.as_str()))
            .bind(role.provider_id())
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let created = AuditEntry::new("aanmaken", "gebruiker", &user.login).region(region_id).after(&user);
            insert_audit!(&mut *tx, actor, &created)?;
            let granted = AuditEntry::new("aanmaken", "rol", grant_id)
                .region(region_id)
                .after(&serde_json::json!({ "gebruiker": user.login, "rol": role }));
            insert_audit!(&mut *tx, actor, &granted)?;
            tx.commit().await?;
            Ok(user)
        })
    }

    pub async fn user(&self, id: i64) -> Result<UserRow> {
        on_pool!(self, |pool| sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound))
    }

    pub async fn user_by_login(&self, login: &str) -> Result<Option<UserRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, UserRow>(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE login = $1"
        ))
        .bind(login.trim().to_lowercase())
        .fetch_optional(pool)
        .await?))
    }

    pub async fn credentials(&self, login: &str) -> Result<Option<Credentials>> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, Credentials>(
            "SELECT id, login, password_hash, active FROM users WHERE login = $1"
        )
        .bind(login.trim().to_lowercase())
        .fetch_optional(pool)
        .await?))
    }

    /// Sets a new password hash and ends all the user's sessions, so that a stolen session
    /// does not survive a password change. `reset` is a change by someone else (an admin):
    /// then the user's API tokens are revoked too, as the account may be compromised.
    /// `region_id` ties the audit entry to the region whose admin acted.
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        reset: bool,
        region_id: Option<i64>,
        actor: &Actor,
    ) -> Result<()> {
        let user = self.user(user_id).await?;
        let at = now();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(at)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            if reset {
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(at)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut entry = AuditEntry::new(
                if reset { "wachtwoord-herstellen" } else { "wachtwoord-wijzigen" },
                "gebruiker",
                &user.login,
            );
            entry.region_id = region_id;
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Changes name, e-mail and whether the account may log in. Deactivating ends its
    /// sessions and revokes its API tokens.
    pub async fn update_user(
        &self,
        user_id: i64,
        display_name: &str,
        email: Option<&str>,
        active: bool,
        region_id: Option<i64>,
        actor: &Actor,
    ) -> Result<UserRow> {
        let before = self.user(user_id).await?;
        let sql = format!(
            "UPDATE users SET display_name = $1, email = $2, active = $3 WHERE id = $4 RETURNING {USER_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let after: UserRow = sqlx::query_as(&sql)
                .bind(display_name)
                .bind(email)
                .bind(active)
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(now())
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut entry = AuditEntry::new("wijzigen", "gebruiker", &after.login).before(&before).after(&after);
            entry.region_id = region_id;
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(after)
        })
    }

    /// Every role the user holds, in every region.
    pub async fn grants_of(&self, user_id: i64) -> Result<Vec<GrantRow>> {
        let sql = format!("{GRANT_SELECT} WHERE g.user_id = $1 ORDER BY r.name, g.role, g.id");
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, GrantRow>(&sql).bind(user_id).fetch_all(pool).await?))
    }

    /// Every role held in a region.
    pub async fn grants_in_region(&self, region_id: i64) -> Result<Vec<GrantRow>> {
        let sql = format!("{GRANT_SELECT} WHERE g.region_id = $1 ORDER BY g.user_id, g.role, g.id");
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, GrantRow>(&sql).bind(region_id).fetch_all(pool).await?))
    }

    /// The user as the authorisation rules see them.
    pub async fn principal(&self, user_id: i64) -> Result<Principal> {
        let user = self.user(user_id).await?;
        let grants = self
            .grants_of(user_id)
            .await?
            .into_iter()
            .filter_map(|g| g.role().map(|role| Grant { region_id: g.region_id, role }))
            .collect();
        Ok(Principal { user_id, platform_admin: user.platform_admin, grants })
    }

    /// Users holding any role in a region, by name.
    pub async fn users_in_region(&self, region_id: i64, page: PageRequest) -> Result<Paged<UserRow>> {
        let filter = "WHERE id IN (SELECT user_id FROM role_grants WHERE region_id = $1)";
        let list = format!("SELECT {USER_COLUMNS} FROM users {filter} ORDER BY display_name, id LIMIT $2 OFFSET $3");
        let count = format!("SELECT COUNT(*) FROM users {filter}");
        on_pool!(self, |pool| {
            let items = sqlx::query_as::<_, UserRow>(&list)
                .bind(region_id)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count).bind(region_id).fetch_one(pool).await?;
            Ok(Paged { items, total })
        })
    }

    /// Grants a role in a region. A member role must name a current member, a provider role
    /// a provider of this region.
    pub async fn add_grant(&self, user_id: i64, region_id: i64, role: &Role, actor: &Actor) -> Result<GrantRow> {
        let user = self.user(user_id).await?;
        match role {
            Role::Member(m) if !self.is_member_on(region_id, m, crate::today()).await? => {
                return Err(StoreError::invalid(
                    "gemeentecode",
                    "membership",
                    format!("{m} is geen lid van deze regio."),
                ));
            }
            Role::Provider(p) if self.provider(region_id, *p).await.is_err() => {
                return Err(StoreError::invalid(
                    "aanbiederId",
                    "unknown",
                    "Deze zorgaanbieder staat niet in deze regio.",
                ));
            }
            _ => {}
        }
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO role_grants (user_id, region_id, role, municipality_code, provider_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(user_id)
            .bind(region_id)
            .bind(role.kind().code())
            .bind(role.municipality().map(|m| m.as_str()))
            .bind(role.provider_id())
            .bind(now())
            .fetch_one(&mut *tx)
            .await
            .map_err(on_unique("rol", "Deze gebruiker heeft deze rol al."))?;
            let entry = AuditEntry::new("aanmaken", "rol", id)
                .region(region_id)
                .after(&serde_json::json!({ "gebruiker": user.login, "rol": role }));
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            id
        });
        self.grants_in_region(region_id).await?.into_iter().find(|g| g.id == id).ok_or(StoreError::NotFound)
    }

    /// A member role must name a current member, a provider role a provider of this region.
    async fn check_role_fits_region(&self, region_id: i64, role: &Role) -> Result<()> {
        match role {
            Role::Member(m) if !self.is_member_on(region_id, m, crate::today()).await? => {
                Err(StoreError::invalid("gemeentecode", "membership", format!("{m} is geen lid van deze regio.")))
            }
            Role::Provider(p) if self.provider(region_id, *p).await.is_err() => {
                Err(StoreError::invalid("aanbiederId", "unknown", "Deze zorgaanbieder staat niet in deze regio."))
            }
            _ => Ok(()),
        }
    }

    /// Withdraws a role; the grant must belong to the region named.
    pub async fn remove_grant(&self, region_id: i64, grant_id: i64, actor: &Actor) -> Result<GrantRow> {
        let grant = self
            .grants_in_region(region_id)
            .await?
            .into_iter()
            .find(|g| g.id == grant_id)
            .ok_or(StoreError::NotFound)?;
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM role_grants WHERE id = $1 AND region_id = $2")
                .bind(grant_id)
                .bind(region_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry::new("verwijderen", "rol", grant_id).region(region_id).before(&grant);
            insert_audit!(&mut *tx, actor, &entry)?;
            tx.commit().await?;
            Ok(grant)
        })
    }

    pub async fn user_count(&self) -> Result<i64> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?))
    }
}
