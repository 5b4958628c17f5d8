"""The union's enumerations, each value with its Chinese and English label."""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A string enum whose members carry a Chinese and an English label."""

    @property
    def label_zh(self) -> str:
        return _LABELS[(type(self), self.value)][0]

    @property
    def label_en(self) -> str:
        return _LABELS[(type(self), self.value)][1]

    def label(self, locale: str = "zh") -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en


class BranchKind(LabelledEnum):
    COUNTY_TOWN = "county_town"
    TOWN = "town"
    VILLAGE = "village"


class Role(LabelledEnum):
    LOAN_OFFICER = "loan_officer"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    RISK_MANAGER = "risk_manager"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"
    ADMIN = "admin"


class BorrowerSegment(LabelledEnum):
    FARMER = "farmer"
    BUSINESS_OWNER = "business_owner"
    SALARIED_PUBLIC = "salaried_public"
    SALARIED_PRIVATE = "salaried_private"
    MIGRANT_WORKER = "migrant_worker"


class PropertyType(LabelledEnum):
    URBAN_HOUSING = "urban_housing"
    RURAL_HOUSE = "rural_house"
    SHOP = "shop"
    OFFICE = "office"
    FACTORY_WAREHOUSE = "factory_warehouse"
    STATE_LAND_USE_RIGHT = "state_land_use_right"
    LAND_MANAGEMENT_RIGHT = "land_management_right"

    @property
    def is_commercial(self) -> bool:
        return self in (PropertyType.SHOP, PropertyType.OFFICE, PropertyType.FACTORY_WAREHOUSE)

    @property
    def has_building(self) -> bool:
        return self not in (PropertyType.STATE_LAND_USE_RIGHT, PropertyType.LAND_MANAGEMENT_RIGHT)


class LandNature(LabelledEnum):
    STATE_GRANTED = "state_granted"
    STATE_ALLOCATED = "state_allocated"
    COLLECTIVE_CONSTRUCTION = "collective_construction"
    HOMESTEAD = "homestead"


class Structure(LabelledEnum):
    STEEL = "steel"
    REINFORCED_CONCRETE = "reinforced_concrete"
    BRICK_CONCRETE = "brick_concrete"
    BRICK_WOOD_1 = "brick_wood_1"
    BRICK_WOOD_2 = "brick_wood_2"
    BRICK_WOOD_3 = "brick_wood_3"
    SIMPLE = "simple"
    EARTH_TIMBER = "earth_timber"


class RegistrationStatus(LabelledEnum):
    """Status of the mortgage registration on the collateral."""

    NOT_REGISTERED = "not_registered"
    PENDING = "pending"
    REGISTERED = "registered"
    RELEASED = "released"


class RepaymentMethod(LabelledEnum):
    EQUAL_INSTALLMENT = "equal_installment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY_BULLET = "interest_only_bullet"


class ApplicationStatus(LabelledEnum):
    """The origination workflow's states, in order (see domain/origination.py)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    INVESTIGATED = "investigated"
    ASSESSED = "assessed"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    DECLINED = "declined"
    CONTRACT_SIGNED = "contract_signed"
    MORTGAGE_REGISTERED = "mortgage_registered"
    DISBURSED = "disbursed"
    WITHDRAWN = "withdrawn"


class LoanStatus(LabelledEnum):
    ACTIVE = "active"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"


class FiveCategory(LabelledEnum):
    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def is_npl(self) -> bool:
        return self in (FiveCategory.SUBSTANDARD, FiveCategory.DOUBTFUL, FiveCategory.LOSS)


class EventType(LabelledEnum):
    """External ("Internet big data") events about a borrower or a collateral."""

    COURT_ENFORCEMENT = "court_enforcement"
    DISHONEST_DEBTOR = "dishonest_debtor"
    LAWSUIT = "lawsuit"
    BUSINESS_DEREGISTRATION = "business_deregistration"
    ABNORMAL_OPERATION = "abnormal_operation"
    BUSINESS_REGISTRY_CHANGE = "business_registry_change"
    COLLATERAL_SEIZURE = "collateral_seizure"
    DEATH_OR_ILLNESS = "death_or_illness"
    CREDIT_BUREAU_UPDATE = "credit_bureau_update"
    UTILITY_ARREARS = "utility_arrears"


class MatchConfidence(LabelledEnum):
    """How an external record was matched to a borrower."""

    RESIDENT_ID = "resident_id"
    NAME_ONLY = "name_only"


_LABELS: dict[tuple[type, str], tuple[str, str]] = {}


def register_labels(pairs: list[tuple[StrEnum, tuple[str, str]]]) -> None:
    """Labels are keyed by (enum class, value): equal strings of two enums stay apart."""
    for member, label in pairs:
        _LABELS[(type(member), member.value)] = label


register_labels([
    (BranchKind.COUNTY_TOWN, ("县城", "county town")),
    (BranchKind.TOWN, ("乡镇", "town")),
    (BranchKind.VILLAGE, ("村", "village")),
    (Role.LOAN_OFFICER, ("客户经理", "loan officer")),
    (Role.REVIEWER, ("审查岗", "reviewer")),
    (Role.APPROVER, ("审批人", "approver")),
    (Role.RISK_MANAGER, ("风险管理部", "risk manager")),
    (Role.SUPERVISOR, ("稽核", "supervisor")),
    (Role.TRAINER, ("培训师", "trainer")),
    (Role.ADMIN, ("系统管理员", "administrator")),
    (BorrowerSegment.FARMER, ("农户", "farmer")),
    (BorrowerSegment.BUSINESS_OWNER, ("个体工商户", "individual business owner")),
    (BorrowerSegment.SALARIED_PUBLIC, ("机关事业单位职工", "salaried, public sector")),
    (BorrowerSegment.SALARIED_PRIVATE, ("企业职工", "salaried, private")),
    (BorrowerSegment.MIGRANT_WORKER, ("外出务工人员", "migrant worker")),
    (PropertyType.URBAN_HOUSING, ("城镇商品住房", "urban commercial housing")),
    (PropertyType.RURAL_HOUSE, ("农村自建房", "rural self-built house")),
    (PropertyType.SHOP, ("商铺", "shop")),
    (PropertyType.OFFICE, ("写字楼", "office")),
    (PropertyType.FACTORY_WAREHOUSE, ("厂房仓库", "factory / warehouse")),
    (PropertyType.STATE_LAND_USE_RIGHT, ("国有建设用地使用权", "state land use right")),
    (PropertyType.LAND_MANAGEMENT_RIGHT, ("土地经营权", "land management right")),
    (LandNature.STATE_GRANTED, ("国有出让", "state granted")),
    (LandNature.STATE_ALLOCATED, ("国有划拨", "state allocated")),
    (LandNature.COLLECTIVE_CONSTRUCTION, ("集体建设用地", "collective construction land")),
    (LandNature.HOMESTEAD, ("宅基地", "homestead")),
    (Structure.STEEL, ("钢结构", "steel")),
    (Structure.REINFORCED_CONCRETE, ("钢筋混凝土结构", "reinforced concrete")),
    (Structure.BRICK_CONCRETE, ("砖混结构", "brick-concrete")),
    (Structure.BRICK_WOOD_1, ("砖木结构一等", "brick-wood, grade 1")),
    (Structure.BRICK_WOOD_2, ("砖木结构二等", "brick-wood, grade 2")),
    (Structure.BRICK_WOOD_3, ("砖木结构三等", "brick-wood, grade 3")),
    (Structure.SIMPLE, ("简易结构", "simple")),
    (Structure.EARTH_TIMBER, ("土木结构", "earth-timber")),
    (RegistrationStatus.NOT_REGISTERED, ("未登记", "not registered")),
    (RegistrationStatus.PENDING, ("登记中", "registration pending")),
    (RegistrationStatus.REGISTERED, ("已登记", "registered")),
    (RegistrationStatus.RELEASED, ("已注销", "released")),
    (RepaymentMethod.EQUAL_INSTALLMENT, ("等额本息", "equal installment")),
    (RepaymentMethod.EQUAL_PRINCIPAL, ("等额本金", "equal principal")),
    (RepaymentMethod.INTEREST_ONLY_BULLET, ("按月付息到期还本", "interest-only, bullet")),
    (ApplicationStatus.DRAFT, ("草稿", "draft")),
    (ApplicationStatus.SUBMITTED, ("已提交", "submitted")),
    (ApplicationStatus.INVESTIGATED, ("已调查", "investigated")),
    (ApplicationStatus.ASSESSED, ("已评估", "assessed")),
    (ApplicationStatus.REVIEWED, ("已审查", "reviewed")),
    (ApplicationStatus.APPROVED, ("已批准", "approved")),
    (ApplicationStatus.DECLINED, ("已否决", "declined")),
    (ApplicationStatus.CONTRACT_SIGNED, ("已签合同", "contract signed")),
    (ApplicationStatus.MORTGAGE_REGISTERED, ("已办抵押登记", "mortgage registered")),
    (ApplicationStatus.DISBURSED, ("已放款", "disbursed")),
    (ApplicationStatus.WITHDRAWN, ("已撤回", "withdrawn")),
    (LoanStatus.ACTIVE, ("正常存续", "active")),
    (LoanStatus.SETTLED, ("已结清", "settled")),
    (LoanStatus.WRITTEN_OFF, ("已核销", "written off")),
    (FiveCategory.NORMAL, ("正常", "normal")),
    (FiveCategory.SPECIAL_MENTION, ("关注", "special mention")),
    (FiveCategory.SUBSTANDARD, ("次级", "substandard")),
    (FiveCategory.DOUBTFUL, ("可疑", "doubtful")),
    (FiveCategory.LOSS, ("损失", "loss")),
    (EventType.COURT_ENFORCEMENT, ("被执行人", "court enforcement")),
    (EventType.DISHONEST_DEBTOR, ("失信被执行人", "dishonest judgment debtor")),
    (EventType.LAWSUIT, ("涉诉", "lawsuit")),
    (EventType.BUSINESS_DEREGISTRATION, ("工商注销", "business deregistration")),
    (EventType.ABNORMAL_OPERATION, ("经营异常名录", "abnormal-operation list")),
    (EventType.BUSINESS_REGISTRY_CHANGE, ("工商登记变更", "business registry change")),
    (EventType.COLLATERAL_SEIZURE, ("抵押物查封", "collateral seizure")),
    (EventType.DEATH_OR_ILLNESS, ("死亡或重大疾病", "death or serious illness")),
    (EventType.CREDIT_BUREAU_UPDATE, ("征信更新", "credit bureau update")),
    (EventType.UTILITY_ARREARS, ("水电欠费", "utility arrears")),
    (MatchConfidence.RESIDENT_ID, ("身份证号匹配", "matched by resident ID")),
    (MatchConfidence.NAME_ONLY, ("仅姓名匹配（低可信）", "name only (low confidence)")),
])


def parse_enum(enum_type: type[LabelledEnum], raw: object, field: str) -> LabelledEnum:
    """Parse ``raw`` into ``enum_type``; an unknown value names the field and the allowed values."""
    from mortgage_risk.domain.errors import DomainError

    try:
        return enum_type(str(raw))
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        raise DomainError(field, f"unknown value {raw!r}; allowed: {allowed}") from None
