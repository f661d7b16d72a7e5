//! The shipped domains (the twelve Dataset Creator offers) and the common conversation
//! parameters, each a weighted list. Weights are relative (they need not add up to 100); the
//! values are plain phrases, so they read well in a generator's prompt.

/// A weighted list as shipped: (value, weight).
pub type Pairs = &'static [(&'static str, u32)];

/// One shipped domain: its name, weighted subdomains and domain-specific parameters.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The id written in the config's `preset`.
    pub id: &'static str,
    /// The domain's name, as it appears in the scenario.
    pub domain: &'static str,
    /// Subdomains with their weights.
    pub subdomains: Pairs,
    /// Parameter name → weighted values.
    pub parameters: &'static [(&'static str, Pairs)],
}

/// Parameters every scenario gets unless the config turns them off or overrides them.
pub const COMMON: &[(&str, Pairs)] = &[
    (
        "conversation_type",
        &[
            ("single question and answer", 40),
            ("multi-turn dialogue", 45),
            ("follow-up on an earlier exchange", 15),
        ],
    ),
    (
        "complexity",
        &[("simple", 30), ("moderate", 50), ("complex", 20)],
    ),
    (
        "question_structure",
        &[
            ("open-ended question", 30),
            ("specific factual question", 25),
            ("request for step-by-step help", 20),
            ("request to clarify", 15),
            ("comparison between options", 10),
        ],
    ),
    (
        "emotional_tone",
        &[
            ("neutral", 40),
            ("curious", 15),
            ("polite", 10),
            ("confused", 10),
            ("frustrated", 10),
            ("worried", 8),
            ("urgent", 5),
            ("grateful", 2),
        ],
    ),
    (
        "communication_style",
        &[
            ("professional", 50),
            ("friendly and casual", 20),
            ("empathetic", 15),
            ("technical", 10),
            ("brief and direct", 5),
        ],
    ),
];

/// The twelve shipped domains.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "customer_support",
        domain: "customer support",
        subdomains: &[
            ("technical troubleshooting", 30),
            ("billing and payments", 20),
            ("account access", 15),
            ("orders, returns and refunds", 20),
            ("product questions", 15),
        ],
        parameters: &[
            (
                "channel",
                &[
                    ("live chat", 55),
                    ("email", 30),
                    ("phone call transcript", 15),
                ],
            ),
            (
                "customer_expertise",
                &[("novice", 45), ("intermediate", 40), ("expert", 15)],
            ),
            (
                "resolution",
                &[
                    ("solved in the conversation", 60),
                    ("escalated to a specialist", 25),
                    ("needs the customer to act first", 15),
                ],
            ),
        ],
    },
    Preset {
        id: "medical_information",
        domain: "medical information",
        subdomains: &[
            ("symptoms and when to see a doctor", 25),
            ("medications and side effects", 20),
            ("chronic condition management", 20),
            ("test results explained", 15),
            ("prevention and healthy habits", 20),
        ],
        parameters: &[
            (
                "specialty",
                &[
                    ("general practice", 30),
                    ("cardiology", 12),
                    ("endocrinology", 12),
                    ("pediatrics", 12),
                    ("mental health", 14),
                    ("dermatology", 10),
                    ("orthopedics", 10),
                ],
            ),
            (
                "patient",
                &[
                    ("adult", 55),
                    ("older adult", 20),
                    ("parent asking about a child", 15),
                    ("caregiver", 10),
                ],
            ),
            (
                "safety_note",
                &[
                    ("routine information", 70),
                    ("advise seeing a clinician", 25),
                    ("urgent care warning signs", 5),
                ],
            ),
        ],
    },
    Preset {
        id: "legal",
        domain: "legal",
        subdomains: &[
            ("contracts and agreements", 30),
            ("employment law", 20),
            ("housing and tenancy", 15),
            ("intellectual property", 15),
            ("consumer rights", 20),
        ],
        parameters: &[
            (
                "document_type",
                &[
                    ("client question", 35),
                    ("contract clause review", 25),
                    ("legal memo", 20),
                    ("letter", 20),
                ],
            ),
            (
                "client_knowledge",
                &[
                    ("layperson", 55),
                    ("some legal background", 35),
                    ("lawyer", 10),
                ],
            ),
            (
                "jurisdiction_note",
                &[
                    ("general principles only", 60),
                    ("names a jurisdiction", 40),
                ],
            ),
        ],
    },
    Preset {
        id: "education",
        domain: "education",
        subdomains: &[
            ("concept explanation", 35),
            ("homework help", 25),
            ("exam preparation", 15),
            ("feedback on student work", 10),
            ("study planning", 15),
        ],
        parameters: &[
            (
                "subject",
                &[
                    ("mathematics", 22),
                    ("sciences", 20),
                    ("history and social studies", 14),
                    ("languages and literature", 16),
                    ("computer science", 18),
                    ("arts", 10),
                ],
            ),
            (
                "learner_level",
                &[
                    ("primary school", 15),
                    ("secondary school", 35),
                    ("university", 35),
                    ("adult learner", 15),
                ],
            ),
            (
                "teaching_approach",
                &[
                    ("direct explanation", 40),
                    ("guiding questions", 30),
                    ("worked example", 30),
                ],
            ),
        ],
    },
    Preset {
        id: "business",
        domain: "business communication",
        subdomains: &[
            ("internal announcements", 20),
            ("client correspondence", 25),
            ("reports and updates", 20),
            ("proposals", 20),
            ("negotiation with suppliers", 15),
        ],
        parameters: &[
            (
                "document_type",
                &[
                    ("email", 40),
                    ("memo", 20),
                    ("report section", 20),
                    ("slide notes", 20),
                ],
            ),
            (
                "industry",
                &[
                    ("software", 25),
                    ("retail", 15),
                    ("manufacturing", 15),
                    ("healthcare", 15),
                    ("financial services", 15),
                    ("public sector", 15),
                ],
            ),
            (
                "formality",
                &[("formal", 45), ("neutral", 40), ("informal", 15)],
            ),
        ],
    },
    Preset {
        id: "technical_documentation",
        domain: "technical documentation",
        subdomains: &[
            ("API reference", 25),
            ("installation and setup guide", 20),
            ("tutorial", 20),
            ("troubleshooting guide", 20),
            ("architecture overview", 15),
        ],
        parameters: &[
            (
                "technology",
                &[
                    ("web services", 30),
                    ("databases", 15),
                    ("command-line tools", 15),
                    ("mobile apps", 15),
                    ("cloud infrastructure", 15),
                    ("embedded devices", 10),
                ],
            ),
            (
                "reader_expertise",
                &[("beginner", 25), ("practitioner", 50), ("expert", 25)],
            ),
            (
                "format",
                &[
                    ("numbered steps", 40),
                    ("explanation with code samples", 40),
                    ("reference table", 20),
                ],
            ),
        ],
    },
    Preset {
        id: "sales",
        domain: "sales",
        subdomains: &[
            ("discovery call", 25),
            ("product demonstration", 20),
            ("handling objections", 25),
            ("pricing negotiation", 15),
            ("closing and next steps", 15),
        ],
        parameters: &[
            (
                "buyer",
                &[
                    ("new prospect", 45),
                    ("existing customer", 35),
                    ("referred lead", 20),
                ],
            ),
            (
                "deal_size",
                &[("small", 40), ("mid-market", 40), ("enterprise", 20)],
            ),
            (
                "main_objection",
                &[
                    ("price", 35),
                    ("a competitor", 20),
                    ("timing", 20),
                    ("effort to switch", 15),
                    ("needs approval from others", 10),
                ],
            ),
        ],
    },
    Preset {
        id: "financial_analysis",
        domain: "financial analysis",
        subdomains: &[
            ("company earnings", 25),
            ("investment comparison", 20),
            ("budget and cash flow", 20),
            ("risk assessment", 20),
            ("market outlook", 15),
        ],
        parameters: &[
            (
                "asset_class",
                &[
                    ("stocks", 35),
                    ("bonds", 20),
                    ("real estate", 15),
                    ("funds", 20),
                    ("commodities", 10),
                ],
            ),
            (
                "horizon",
                &[
                    ("under a year", 30),
                    ("one to five years", 45),
                    ("longer", 25),
                ],
            ),
            (
                "audience",
                &[
                    ("individual investor", 45),
                    ("finance team", 30),
                    ("executive board", 25),
                ],
            ),
        ],
    },
    Preset {
        id: "research_summaries",
        domain: "research summaries",
        subdomains: &[
            ("paper abstract", 30),
            ("literature review", 20),
            ("methods explained", 15),
            ("results and their limits", 20),
            ("summary for a general audience", 15),
        ],
        parameters: &[
            (
                "field",
                &[
                    ("life sciences", 25),
                    ("physical sciences", 20),
                    ("social sciences", 20),
                    ("computer science", 25),
                    ("humanities", 10),
                ],
            ),
            (
                "study_type",
                &[
                    ("experiment", 35),
                    ("observational study", 25),
                    ("review", 20),
                    ("theoretical work", 20),
                ],
            ),
            (
                "reader",
                &[("specialist", 35), ("student", 35), ("general public", 30)],
            ),
        ],
    },
    Preset {
        id: "coaching",
        domain: "coaching",
        subdomains: &[
            ("career direction", 30),
            ("leadership", 20),
            ("productivity and habits", 20),
            ("difficult conversations", 15),
            ("work-life balance", 15),
        ],
        parameters: &[
            (
                "client_stage",
                &[
                    ("early career", 35),
                    ("mid career", 40),
                    ("senior leader", 15),
                    ("changing careers", 10),
                ],
            ),
            (
                "session",
                &[
                    ("first session", 25),
                    ("goal setting", 25),
                    ("progress check", 30),
                    ("setback", 20),
                ],
            ),
            (
                "coaching_approach",
                &[
                    ("asks questions", 40),
                    ("gives direct advice", 25),
                    ("focuses on solutions", 35),
                ],
            ),
        ],
    },
    Preset {
        id: "creative_writing",
        domain: "creative writing",
        subdomains: &[
            ("short story", 30),
            ("scene with dialogue", 25),
            ("poem", 15),
            ("character sketch", 15),
            ("setting description", 15),
        ],
        parameters: &[
            (
                "genre",
                &[
                    ("literary", 20),
                    ("science fiction", 15),
                    ("fantasy", 15),
                    ("mystery", 15),
                    ("romance", 15),
                    ("humor", 10),
                    ("historical", 10),
                ],
            ),
            (
                "point_of_view",
                &[
                    ("first person", 40),
                    ("third person", 50),
                    ("second person", 10),
                ],
            ),
            (
                "mood",
                &[
                    ("hopeful", 25),
                    ("tense", 20),
                    ("melancholic", 20),
                    ("playful", 20),
                    ("eerie", 15),
                ],
            ),
        ],
    },
    Preset {
        id: "meeting_summaries",
        domain: "meeting summaries",
        subdomains: &[
            ("team status meeting", 30),
            ("project kickoff", 15),
            ("client meeting", 20),
            ("decision meeting", 20),
            ("retrospective", 15),
        ],
        parameters: &[
            (
                "summary_style",
                &[
                    ("action items first", 35),
                    ("decisions and reasons", 30),
                    ("full minutes", 20),
                    ("three-line brief", 15),
                ],
            ),
            (
                "participants",
                &[
                    ("two or three", 30),
                    ("four to eight", 45),
                    ("more than eight", 25),
                ],
            ),
            (
                "source",
                &[
                    ("raw transcript", 50),
                    ("someone's notes", 35),
                    ("chat log", 15),
                ],
            ),
        ],
    },
];

/// The preset of `id`.
pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_domains_each_with_subdomains_and_parameters() {
        assert_eq!(PRESETS.len(), 12);
        let mut ids: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 12, "preset ids are unique");
        for preset in PRESETS {
            assert!(preset.subdomains.len() >= 3, "{}", preset.id);
            assert!(!preset.parameters.is_empty(), "{}", preset.id);
            for (name, values) in preset.parameters {
                assert!(values.len() >= 2, "{}.{name}", preset.id);
                assert!(values.iter().all(|(_, w)| *w > 0), "{}.{name}", preset.id);
                assert!(
                    COMMON.iter().all(|(common, _)| common != name),
                    "{}.{name} would hide a common parameter",
                    preset.id
                );
            }
        }
    }
}
