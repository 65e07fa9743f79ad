//! Who may see and change what. Every route asks these questions; the answers live here,
//! in one place, so they can be read, reviewed and tested without a server.

use crate::codes::MunicipalityCode;
use crate::validation::FieldError;
use serde::{Deserialize, Serialize};

/// The roles a user can hold in a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoleKind {
    /// The regional team: everything in their region.
    #[serde(rename = "regiobeheerder")]
    RegionAdmin,
    /// Staff of one member municipality.
    #[serde(rename = "gemeente")]
    Member,
    /// Staff of one care provider.
    #[serde(rename = "aanbieder")]
    Provider,
    /// The collaboration coach: collaboration health, aggregates only.
    #[serde(rename = "coach")]
    Coach,
    /// Read-only access to published data, for example a council member.
    #[serde(rename = "waarnemer")]
    Observer,
}

impl RoleKind {
    pub const ALL: [RoleKind; 5] =
        [RoleKind::RegionAdmin, RoleKind::Member, RoleKind::Provider, RoleKind::Coach, RoleKind::Observer];

    pub fn code(self) -> &'static str {
        match self {
            RoleKind::RegionAdmin => "regiobeheerder",
            RoleKind::Member => "gemeente",
            RoleKind::Provider => "aanbieder",
            RoleKind::Coach => "coach",
            RoleKind::Observer => "waarnemer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RoleKind::RegionAdmin => "Regiobeheerder",
            RoleKind::Member => "Gemeente",
            RoleKind::Provider => "Zorgaanbieder",
            RoleKind::Coach => "Samenwerkingscoach",
            RoleKind::Observer => "Waarnemer",
        }
    }

    pub fn parse(s: &str) -> Result<RoleKind, FieldError> {
        RoleKind::ALL
            .into_iter()
            .find(|r| r.code() == s.trim())
            .ok_or_else(|| FieldError::new("", "enum", "Kies regiobeheerder, gemeente, aanbieder, coach of waarnemer."))
    }
}

/// A role held in one region, with the organisation it is tied to where the role needs one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    RegionAdmin,
    Member(MunicipalityCode),
    Provider(i64),
    Coach,
    Observer,
}

impl Role {
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::RegionAdmin => RoleKind::RegionAdmin,
            Role::Member(_) => RoleKind::Member,
            Role::Provider(_) => RoleKind::Provider,
            Role::Coach => RoleKind::Coach,
            Role::Observer => RoleKind::Observer,
        }
    }

    /// Builds a role from its parts as stored or submitted, checking that exactly the
    /// organisation the role needs is given.
    pub fn from_parts(
        kind: RoleKind,
        municipality: Option<MunicipalityCode>,
        provider_id: Option<i64>,
    ) -> Result<Role, FieldError> {
        match (kind, municipality, provider_id) {
            (RoleKind::Member, Some(m), None) => Ok(Role::Member(m)),
            (RoleKind::Member, _, _) => {
                Err(FieldError::new("gemeentecode", "required", "Kies de gemeente waarvoor deze gebruiker werkt."))
            }
            (RoleKind::Provider, None, Some(p)) => Ok(Role::Provider(p)),
            (RoleKind::Provider, _, _) => {
                Err(FieldError::new("aanbiederId", "required", "Kies de zorgaanbieder waarvoor deze gebruiker werkt."))
            }
            (kind, None, None) => Ok(match kind {
                RoleKind::RegionAdmin => Role::RegionAdmin,
                RoleKind::Coach => Role::Coach,
                _ => Role::Observer,
            }),
            (_, _, _) => Err(FieldError::new(
                "rol",
                "combination",
                "Alleen de rollen gemeente en aanbieder horen bij een organisatie.",
            )),
        }
    }

    pub fn municipality(&self) -> Option<&MunicipalityCode> {
        match self {
            Role::Member(m) => Some(m),
            _ => None,
        }
    }

    pub fn provider_id(&self) -> Option<i64> {
        match self {
            Role::Provider(p) => Some(*p),
            _ => None,
        }
    }
}

/// A role held in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub region_id: i64,
    pub role: Role,
}

/// The signed-in user as the authorisation rules see them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    pub user_id: i64,
    /// Platform administrators set up regions and act as region admin in every region.
    pub platform_admin: bool,
    pub grants: Vec<Grant>,
}

impl Principal {
    /// What this user may do in one region.
    pub fn in_region(&self, region_id: i64) -> RegionAccess {
        let mut access = RegionAccess { admin: self.platform_admin, ..RegionAccess::default() };
        for grant in self.grants.iter().filter(|g| g.region_id == region_id) {
            match &grant.role {
                Role::RegionAdmin => access.admin = true,
                Role::Member(m) => access.municipalities.push(m.clone()),
                Role::Provider(p) => access.providers.push(*p),
                Role::Coach => access.coach = true,
                Role::Observer => access.observer = true,
            }
        }
        access
    }

    /// Regions where the user holds any role (platform admins see all regions besides).
    pub fn region_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.grants.iter().map(|g| g.region_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn can_create_regions(&self) -> bool {
        self.platform_admin
    }

    /// Whether this user may change another user's account (name, e-mail, password, whether
    /// it is active). An account is shared by every region it has roles in, so a region
    /// admin may only change accounts whose roles all lie in regions they administer;
    /// platform administrators' accounts only by platform administrators.
    pub fn can_manage_account(&self, target: &Principal) -> bool {
        if self.platform_admin {
            return true;
        }
        if target.platform_admin || target.grants.is_empty() {
            return false;
        }
        target.grants.iter().all(|g| self.in_region(g.region_id).admin)
    }
}

/// The combined rights of one user in one region.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegionAccess {
    pub admin: bool,
    pub municipalities: Vec<MunicipalityCode>,
    pub providers: Vec<i64>,
    pub coach: bool,
    pub observer: bool,
}

impl RegionAccess {
    /// Holds any role here. Without one, the region does not exist for this user.
    pub fn any(&self) -> bool {
        self.admin || !self.municipalities.is_empty() || !self.providers.is_empty() || self.coach || self.observer
    }

    /// Published facts: the region, its members with their public figures, its providers.
    pub fn can_view_published(&self) -> bool {
        self.any()
    }

    /// Who holds which role in the region (names and roles, not contact details). Providers
    /// see only their own colleagues; observers see none.
    pub fn can_view_roles_overview(&self) -> bool {
        self.admin || !self.municipalities.is_empty() || self.coach
    }

    /// Users of one provider organisation.
    pub fn can_view_provider_staff(&self, provider_id: i64) -> bool {
        self.can_view_roles_overview() || self.providers.contains(&provider_id)
    }

    /// Contact details (e-mail) and account state of users; account management.
    pub fn can_manage_users(&self) -> bool {
        self.admin
    }

    /// Region settings, membership, centre municipality.
    pub fn can_manage_region(&self) -> bool {
        self.admin
    }

    /// Adding and removing providers and editing their registered details.
    pub fn can_manage_providers(&self) -> bool {
        self.admin
    }

    /// A provider keeps its own contact details up to date.
    pub fn can_edit_provider_contact(&self, provider_id: i64) -> bool {
        self.admin || self.providers.contains(&provider_id)
    }

    /// A member's figures (youths, budgets): the region and the member itself.
    pub fn can_edit_member_figures(&self, municipality: &MunicipalityCode) -> bool {
        self.admin || self.municipalities.contains(municipality)
    }

    /// Client-level and member-confidential data of one municipality.
    pub fn can_view_member_confidential(&self, municipality: &MunicipalityCode) -> bool {
        self.admin || self.municipalities.contains(municipality)
    }

    pub fn can_view_audit_log(&self) -> bool {
        self.admin
    }

    /// Catalogue, lots, forms of collaboration, steering choices, contracts, tariffs, admission.
    pub fn can_manage_procurement(&self) -> bool {
        self.admin
    }

    /// The region's contracts and tariffs: shared with members (and the coach and observers);
    /// a provider sees only its own.
    pub fn can_view_contracts_of(&self, provider_id: i64) -> bool {
        self.admin
            || !self.municipalities.is_empty()
            || self.coach
            || self.observer
            || self.providers.contains(&provider_id)
    }

    /// Admission applications: the region, its members and the coach see all; a provider its own.
    pub fn can_view_applications_of(&self, provider_id: i64) -> bool {
        self.admin || !self.municipalities.is_empty() || self.coach || self.providers.contains(&provider_id)
    }

    /// Only a provider's own staff apply for admission on its behalf.
    pub fn can_apply_for(&self, provider_id: i64) -> bool {
        self.providers.contains(&provider_id)
    }

    /// Importing production data: the region for all its members, a member for itself only.
    pub fn can_import_production(&self) -> bool {
        self.admin || !self.municipalities.is_empty()
    }

    /// The municipality a member's import is limited to; `None` for the region (no limit).
    pub fn import_scope(&self) -> Option<&MunicipalityCode> {
        if self.admin {
            None
        } else {
            self.municipalities.first()
        }
    }

    /// Import reports (counts, rules, lines; no client data): who may import.
    pub fn can_view_imports(&self) -> bool {
        self.can_import_production()
    }

    /// Processing the quarantine again touches every member's data: the region only.
    pub fn can_reprocess_quarantine(&self) -> bool {
        self.admin
    }

    /// Client-level rows (pseudonymised assignments and claim lines) are shown only to the
    /// client's own municipality: not to the region's team, not to other members.
    pub fn can_view_client_rows_of(&self, municipality: &MunicipalityCode) -> bool {
        self.municipalities.contains(municipality)
    }

    /// A provider sees its own production, client rows included (its own clients).
    pub fn can_view_production_of(&self, provider_id: i64) -> bool {
        self.providers.contains(&provider_id)
    }

    /// Whether this user sees any client-level rows at all.
    pub fn sees_client_rows(&self) -> bool {
        !self.municipalities.is_empty() || !self.providers.is_empty()
    }

    /// Spend, budgets, forecasts and signals in aggregate: everyone in the region.
    pub fn can_view_spend(&self) -> bool {
        self.any()
    }

    /// Risk-sharing agreements, settlements, Shapley values, leave-or-remain and the budget
    /// risk: money between the municipalities, for the region, its members, the coach and
    /// observers; providers have no part in it.
    pub fn can_view_risk_sharing(&self) -> bool {
        self.admin || !self.municipalities.is_empty() || self.coach || self.observer
    }

    /// Entering and changing the agreements: the region (after the board has decided).
    pub fn can_manage_risk_sharing(&self) -> bool {
        self.admin
    }

    /// The partner charter: the region, its members, the coach and observers (council members)
    /// read it; providers are not party to it.
    pub fn can_view_charter(&self) -> bool {
        self.admin || !self.municipalities.is_empty() || self.coach || self.observer
    }

    /// Recording a version of the charter the board adopted: the region admin.
    pub fn can_manage_charter(&self) -> bool {
        self.admin
    }

    /// Recording a self-assessment against the Norm voor Opdrachtgeverschap: the region admin
    /// and the collaboration coach (members, observers read it with the charter).
    pub fn can_assess_norm(&self) -> bool {
        self.admin || self.coach
    }

    /// Proposals past their draft, with their consultation and vote: the region, its members
    /// and the coach. Observers see the decisions only; providers are not party to them.
    pub fn can_view_proposals(&self) -> bool {
        self.admin || !self.municipalities.is_empty() || self.coach
    }

    /// Drafts, and every step of a proposal: writing it, opening and closing consultation and
    /// vote, answering the members' input, withdrawing it. The regional team.
    pub fn can_manage_proposals(&self) -> bool {
        self.admin
    }

    /// Giving input (a zienswijze) for a member: its own staff. Casting its vote needs more: an
    /// authorisation as its representative (checked against the store).
    pub fn can_give_input_for(&self, municipality: &MunicipalityCode) -> bool {
        self.municipalities.contains(municipality)
    }

    /// The decision list (besluitenlijst) and its exports: everyone in the region but providers.
    pub fn can_view_decisions(&self) -> bool {
        self.can_view_charter()
    }

    /// The voice indicators of a member: the region, the coach and the member itself.
    pub fn can_view_voice_of(&self, municipality: &MunicipalityCode) -> bool {
        self.admin || self.coach || self.municipalities.contains(municipality)
    }

    /// Any voice indicators at all (the page is there for them).
    pub fn can_view_voice(&self) -> bool {
        self.admin || self.coach || !self.municipalities.is_empty()
    }

    /// Who represents which member: the region, the members and the coach read it; the region
    /// admin records it.
    pub fn can_view_representatives(&self) -> bool {
        self.can_view_proposals()
    }

    pub fn can_manage_representatives(&self) -> bool {
        self.admin
    }

    /// Collaboration health: the aggregated results of the questionnaire rounds (never a
    /// response, never a group under five) are for everyone in the collaboration, providers too:
    /// they answered and rated as partners.
    pub fn can_view_health_results(&self) -> bool {
        self.any()
    }

    /// Instruments, rounds and invitations, the response rate while a round runs, and the open
    /// answers: the collaboration coach and the regional team.
    pub fn can_manage_health(&self) -> bool {
        self.admin || self.coach
    }

    /// The early warnings and the leave-or-remain dossier bring trust together with money and
    /// voice per member: the board's view (region, members, coach, observers), not providers'.
    pub fn can_view_health_warnings(&self) -> bool {
        self.can_view_risk_sharing()
    }

    /// The region's own conclusions in the dossier: the regional team and the coach.
    pub fn can_write_evaluation(&self) -> bool {
        self.admin || self.coach
    }

    /// Accountability requests, announcements to providers, answers to their questions and the
    /// exchange programme: the regional team.
    pub fn can_manage_provider_side(&self) -> bool {
        self.admin
    }

    /// Open accountability requests, published answers and announcements: everyone who works
    /// with providers in the region (concepts only the regional team).
    pub fn can_view_provider_side(&self) -> bool {
        self.admin || !self.municipalities.is_empty() || !self.providers.is_empty() || self.coach || self.observer
    }

    /// Runs exchange placement rounds: creates rounds, makes and adjusts the matching, confirms
    /// it and publishes lessons.
    pub fn can_coordinate_exchange(&self) -> bool {
        self.admin
    }

    /// Offers places and registers participants for this organisation, and records their
    /// lessons: its own staff, and the coordinator for anyone.
    pub fn acts_for(&self, org: &crate::exchange::Organisation) -> bool {
        use crate::exchange::Organisation;
        self.can_coordinate_exchange()
            || match org {
                Organisation::Member(code) => self.municipalities.iter().any(|m| m.as_str() == code),
                Organisation::Provider(id) => self.providers.contains(id),
            }
    }

    /// Only a provider's own staff submit on its behalf, and ask questions in its name.
    pub fn can_submit_for(&self, provider_id: i64) -> bool {
        self.providers.contains(&provider_id)
    }

    /// What of a provider's submission this user may read: everything (`Some(None)`: the region,
    /// the provider itself), the parts of the members this user works for that the submission
    /// concerns (`Some(Some(codes))`, never empty), or nothing (`None`). A user who works for
    /// several municipalities (a shared service organisation) reads each of their parts.
    pub fn submission_view(&self, provider_id: i64, concerns: &[String]) -> Option<Option<Vec<String>>> {
        if self.admin || self.providers.contains(&provider_id) {
            return Some(None);
        }
        let own: Vec<String> = self
            .municipalities
            .iter()
            .filter(|m| concerns.iter().any(|c| c == m.as_str()))
            .map(|m| m.as_str().to_string())
            .collect();
        (!own.is_empty()).then_some(Some(own))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gm(s: &str) -> MunicipalityCode {
        MunicipalityCode::parse(s).unwrap()
    }

    fn principal(grants: Vec<(i64, Role)>) -> Principal {
        Principal {
            user_id: 1,
            platform_admin: false,
            grants: grants.into_iter().map(|(region_id, role)| Grant { region_id, role }).collect(),
        }
    }

    #[test]
    fn roles_are_scoped_to_their_region() {
        let p = principal(vec![(1, Role::RegionAdmin), (2, Role::Observer)]);
        assert!(p.in_region(1).can_manage_region());
        assert!(!p.in_region(2).can_manage_region());
        assert!(p.in_region(2).can_view_published());
        assert!(!p.in_region(3).any());
        assert_eq!(p.region_ids(), vec![1, 2]);
    }

    #[test]
    fn member_sees_own_confidential_data_only() {
        let p = principal(vec![(1, Role::Member(gm("GM0503")))]);
        let access = p.in_region(1);
        assert!(access.can_view_member_confidential(&gm("GM0503")));
        assert!(!access.can_view_member_confidential(&gm("GM0518")));
        assert!(access.can_edit_member_figures(&gm("GM0503")));
        assert!(!access.can_edit_member_figures(&gm("GM0518")));
        assert!(access.can_view_roles_overview());
        assert!(!access.can_manage_users() && !access.can_view_audit_log());
    }

    #[test]
    fn provider_sees_own_organisation_only() {
        let access = principal(vec![(1, Role::Provider(7))]).in_region(1);
        assert!(access.can_view_published());
        assert!(access.can_edit_provider_contact(7));
        assert!(!access.can_edit_provider_contact(8));
        assert!(access.can_view_provider_staff(7));
        assert!(!access.can_view_provider_staff(8));
        assert!(!access.can_view_roles_overview());
        assert!(!access.can_manage_providers());
    }

    #[test]
    fn procurement_visibility() {
        let provider = principal(vec![(1, Role::Provider(7))]).in_region(1);
        assert!(provider.can_view_contracts_of(7) && !provider.can_view_contracts_of(8));
        assert!(provider.can_apply_for(7) && !provider.can_apply_for(8));
        assert!(provider.can_view_applications_of(7) && !provider.can_view_applications_of(8));
        let member = principal(vec![(1, Role::Member(gm("GM0503")))]).in_region(1);
        assert!(member.can_view_contracts_of(8) && member.can_view_applications_of(8) && !member.can_apply_for(8));
        assert!(!member.can_manage_procurement());
        let observer = principal(vec![(1, Role::Observer)]).in_region(1);
        assert!(observer.can_view_contracts_of(8) && !observer.can_view_applications_of(8));
        assert!(principal(vec![(1, Role::RegionAdmin)]).in_region(1).can_manage_procurement());
    }

    #[test]
    fn production_rights() {
        let admin = principal(vec![(1, Role::RegionAdmin)]).in_region(1);
        let member = principal(vec![(1, Role::Member(gm("GM0503")))]).in_region(1);
        let provider = principal(vec![(1, Role::Provider(7))]).in_region(1);
        let coach = principal(vec![(1, Role::Coach)]).in_region(1);
        assert!(admin.can_import_production() && admin.import_scope().is_none() && admin.can_reprocess_quarantine());
        assert!(member.can_import_production() && member.import_scope() == Some(&gm("GM0503")));
        assert!(!member.can_reprocess_quarantine());
        assert!(!provider.can_import_production() && !coach.can_import_production());
        // Client rows: the own municipality only, not even the region's team.
        assert!(member.can_view_client_rows_of(&gm("GM0503")) && !member.can_view_client_rows_of(&gm("GM0518")));
        assert!(!admin.can_view_client_rows_of(&gm("GM0503")) && !admin.sees_client_rows());
        assert!(provider.can_view_production_of(7) && !provider.can_view_production_of(8));
        assert!(!member.can_view_production_of(7));
        for access in [&admin, &member, &provider, &coach] {
            assert!(access.can_view_spend());
        }
        assert!(!principal(vec![]).in_region(1).can_view_spend());
    }

    #[test]
    fn observer_and_coach_are_read_only() {
        for role in [Role::Observer, Role::Coach] {
            let access = principal(vec![(1, role)]).in_region(1);
            assert!(access.can_view_published());
            assert!(!access.can_manage_region());
            assert!(!access.can_manage_users());
            assert!(!access.can_manage_providers());
            assert!(!access.can_edit_member_figures(&gm("GM0503")));
            assert!(!access.can_view_member_confidential(&gm("GM0503")));
        }
        assert!(!principal(vec![(1, Role::Observer)]).in_region(1).can_view_roles_overview());
    }

    #[test]
    fn platform_admin_is_admin_everywhere() {
        let p = Principal { platform_admin: true, ..Principal::default() };
        assert!(p.in_region(42).can_manage_region());
        assert!(p.can_create_regions());
        assert!(!principal(vec![(1, Role::RegionAdmin)]).can_create_regions());
    }

    #[test]
    fn accounts_shared_with_other_regions_stay_out_of_reach() {
        let admin = principal(vec![(1, Role::RegionAdmin)]);
        let local = principal(vec![(1, Role::Coach)]);
        let shared = principal(vec![(1, Role::Coach), (2, Role::Observer)]);
        let platform = Principal { platform_admin: true, ..principal(vec![(1, Role::Observer)]) };
        assert!(admin.can_manage_account(&local));
        assert!(!admin.can_manage_account(&shared));
        assert!(!admin.can_manage_account(&platform));
        assert!(!admin.can_manage_account(&Principal::default()));
        assert!(platform.can_manage_account(&shared));
        assert!(!local.can_manage_account(&local));
    }

    #[test]
    fn role_parts_must_match_the_kind() {
        assert_eq!(Role::from_parts(RoleKind::Member, Some(gm("GM0503")), None).unwrap(), Role::Member(gm("GM0503")));
        assert!(Role::from_parts(RoleKind::Member, None, None).is_err());
        assert!(Role::from_parts(RoleKind::Provider, None, None).is_err());
        assert!(Role::from_parts(RoleKind::Coach, None, Some(3)).is_err());
        assert_eq!(Role::from_parts(RoleKind::Coach, None, None).unwrap(), Role::Coach);
        for kind in RoleKind::ALL {
            assert_eq!(RoleKind::parse(kind.code()).unwrap(), kind);
        }
    }

    #[test]
    fn a_member_reads_the_parts_of_every_municipality_it_works_for() {
        let concerns = vec!["GM0518".to_string(), "GM1783".to_string()];
        let region = RegionAccess { admin: true, ..RegionAccess::default() };
        assert_eq!(region.submission_view(7, &concerns), Some(None));
        let provider = RegionAccess { providers: vec![7], ..RegionAccess::default() };
        assert_eq!(provider.submission_view(7, &concerns), Some(None));
        assert_eq!(provider.submission_view(8, &concerns), None, "another provider's submission");
        let shared =
            RegionAccess { municipalities: vec![gm("GM0518"), gm("GM1783"), gm("GM1842")], ..RegionAccess::default() };
        assert_eq!(
            shared.submission_view(7, &concerns),
            Some(Some(concerns.clone())),
            "both parts, not the first only"
        );
        let other = RegionAccess { municipalities: vec![gm("GM1842")], ..RegionAccess::default() };
        assert_eq!(other.submission_view(7, &concerns), None);
        let coach = RegionAccess { coach: true, ..RegionAccess::default() };
        assert_eq!(coach.submission_view(7, &concerns), None);
    }
}
