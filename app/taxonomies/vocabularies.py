"""Closed vocabularies of the domain (DESIGN.md section 3); the values are public contract."""

from enum import StrEnum


class Mechanism(StrEnum):
    upr = "upr"
    ccpr = "ccpr"
    cescr = "cescr"
    cedaw = "cedaw"
    crc = "crc"
    cat = "cat"
    cerd = "cerd"
    crpd = "crpd"
    cmw = "cmw"
    ced = "ced"
    spt = "spt"
    special_procedures = "special_procedures"


MECHANISM_NAMES: dict[Mechanism, str] = {
    Mechanism.upr: "Universal Periodic Review",
    Mechanism.ccpr: "Human Rights Committee",
    Mechanism.cescr: "Committee on Economic, Social and Cultural Rights",
    Mechanism.cedaw: "Committee on the Elimination of Discrimination against Women",
    Mechanism.crc: "Committee on the Rights of the Child",
    Mechanism.cat: "Committee against Torture",
    Mechanism.cerd: "Committee on the Elimination of Racial Discrimination",
    Mechanism.crpd: "Committee on the Rights of Persons with Disabilities",
    Mechanism.cmw: "Committee on Migrant Workers",
    Mechanism.ced: "Committee on Enforced Disappearances",
    Mechanism.spt: "Subcommittee on Prevention of Torture",
    Mechanism.special_procedures: "Special procedures of the Human Rights Council",
}


class Position(StrEnum):
    """A State's position on a UPR recommendation (UPR Info calls `supported` "Accepted")."""

    supported = "supported"
    supported_in_part = "supported_in_part"
    noted = "noted"


class BarrierType(StrEnum):
    financial = "financial"
    technical_expertise = "technical_expertise"
    data_and_statistics = "data_and_statistics"
    legislative = "legislative"
    institutional_coordination = "institutional_coordination"
    human_resources = "human_resources"
    crisis_or_emergency = "crisis_or_emergency"
    conflict_or_insecurity = "conflict_or_insecurity"
    other = "other"


class AssistanceType(StrEnum):
    legislative_review = "legislative_review"
    nhri_establishment_or_strengthening = "nhri_establishment_or_strengthening"
    nmrf_support = "nmrf_support"
    human_rights_indicators_and_data = "human_rights_indicators_and_data"
    training_of_officials = "training_of_officials"
    parliamentary_engagement = "parliamentary_engagement"
    gender_mainstreaming = "gender_mainstreaming"
    economic_social_cultural_rights = "economic_social_cultural_rights"
    transitional_justice = "transitional_justice"
    civic_space_and_participation = "civic_space_and_participation"
    human_rights_education = "human_rights_education"
    treaty_reporting = "treaty_reporting"
    rule_of_law_and_justice = "rule_of_law_and_justice"
    other = "other"


def cycle_of_upr_session(session: int) -> int:
    """UPR sessions 1-12 are cycle 1, 13-26 cycle 2, 27-40 cycle 3, 41 onwards cycle 4."""
    if session <= 12:
        return 1
    if session <= 26:
        return 2
    if session <= 40:
        return 3
    return 4


class Modality(StrEnum):
    remote = "remote"
    in_country = "in_country"
    regional = "regional"
