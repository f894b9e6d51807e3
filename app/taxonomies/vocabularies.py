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


MECHANISM_LABELS_FR: dict[Mechanism, str] = {
    Mechanism.upr: "Examen périodique universel",
    Mechanism.ccpr: "Comité des droits de l'homme",
    Mechanism.cescr: "Comité des droits économiques, sociaux et culturels",
    Mechanism.cedaw: "Comité pour l'élimination de la discrimination à l'égard des femmes",
    Mechanism.crc: "Comité des droits de l'enfant",
    Mechanism.cat: "Comité contre la torture",
    Mechanism.cerd: "Comité pour l'élimination de la discrimination raciale",
    Mechanism.crpd: "Comité des droits des personnes handicapées",
    Mechanism.cmw: "Comité des travailleurs migrants",
    Mechanism.ced: "Comité des disparitions forcées",
    Mechanism.spt: "Sous-comité pour la prévention de la torture",
    Mechanism.special_procedures: "Procédures spéciales du Conseil des droits de l'homme",
}

BARRIER_TYPE_LABELS: dict[BarrierType, tuple[str, str]] = {
    BarrierType.financial: ("Financial resources", "Ressources financières"),
    BarrierType.technical_expertise: ("Technical expertise", "Expertise technique"),
    BarrierType.data_and_statistics: ("Data and statistics", "Données et statistiques"),
    BarrierType.legislative: ("Legislation", "Législation"),
    BarrierType.institutional_coordination: (
        "Institutional coordination",
        "Coordination institutionnelle",
    ),
    BarrierType.human_resources: ("Human resources", "Ressources humaines"),
    BarrierType.crisis_or_emergency: ("Crisis or emergency", "Crise ou situation d'urgence"),
    BarrierType.conflict_or_insecurity: ("Conflict or insecurity", "Conflit ou insécurité"),
    BarrierType.other: ("Other", "Autre"),
}

ASSISTANCE_TYPE_LABELS: dict[AssistanceType, tuple[str, str]] = {
    AssistanceType.legislative_review: ("Legislative review", "Examen de la législation"),
    AssistanceType.nhri_establishment_or_strengthening: (
        "Establishing or strengthening a national human rights institution (Paris Principles)",
        "Création ou renforcement d'une institution nationale des droits de l'homme "
        "(Principes de Paris)",
    ),
    AssistanceType.nmrf_support: (
        "Support to a national mechanism for implementation, reporting and follow-up",
        "Appui à un mécanisme national de mise en œuvre, d'établissement des rapports et de suivi",
    ),
    AssistanceType.human_rights_indicators_and_data: (
        "Human rights indicators and data",
        "Indicateurs et données relatifs aux droits de l'homme",
    ),
    AssistanceType.training_of_officials: ("Training of officials", "Formation des agents publics"),
    AssistanceType.parliamentary_engagement: (
        "Engagement with parliament",
        "Collaboration avec le parlement",
    ),
    AssistanceType.gender_mainstreaming: (
        "Gender mainstreaming",
        "Intégration d'une perspective de genre",
    ),
    AssistanceType.economic_social_cultural_rights: (
        "Economic, social and cultural rights",
        "Droits économiques, sociaux et culturels",
    ),
    AssistanceType.transitional_justice: ("Transitional justice", "Justice transitionnelle"),
    AssistanceType.civic_space_and_participation: (
        "Civic space and participation",
        "Espace civique et participation",
    ),
    AssistanceType.human_rights_education: (
        "Human rights education",
        "Éducation aux droits de l'homme",
    ),
    AssistanceType.treaty_reporting: (
        "Reporting to the treaty bodies",
        "Présentation de rapports aux organes conventionnels",
    ),
    AssistanceType.rule_of_law_and_justice: (
        "Rule of law and justice",
        "État de droit et justice",
    ),
    AssistanceType.other: ("Other", "Autre"),
}
