/**
 * Which audit controls each item of the evidence package evidences (E13), so an auditor can go
 * from a control to the files that answer it. Control texts are short paraphrases.
 */
export const CONTROLS = {
  "PCI DSS 10.2": "Audit logs are implemented and active, capturing the events needed to detect anomalies and reconstruct events",
  "PCI DSS 10.3": "Audit logs are protected from destruction and unauthorized modification (incl. change detection, 10.3.4)",
  "PCI DSS 10.4.1": "Audit logs are reviewed at least once daily (10.4.1.1: automated mechanisms perform the review)",
  "PCI DSS 10.5.1": "Audit log history is retained for at least 12 months, the last three immediately available",
  "ISO 27001 A.8.15": "Logging: logs recording activities are produced, stored, protected and analysed",
  "ISO 27001 A.8.16": "Monitoring activities: systems are monitored for anomalous behaviour and evaluated",
  "SOC 2 CC6": "Logical access security over protected information assets",
  "SOC 2 CC7": "System operations: detection and monitoring of configuration changes and security events",
  "SOC 2 CC8": "Change management: changes to infrastructure are authorised, tracked and reviewed",
  "HIPAA 164.312(b)": "Audit controls: mechanisms that record and examine activity in systems holding ePHI",
} as const;

export type ControlId = keyof typeof CONTROLS;

/** The kinds of item a package holds, and the controls each kind evidences. */
export const ITEM_CONTROLS = {
  "trail-configuration": ["PCI DSS 10.2", "ISO 27001 A.8.15", "SOC 2 CC7", "HIPAA 164.312(b)"],
  "trail-status": ["PCI DSS 10.2", "ISO 27001 A.8.15", "ISO 27001 A.8.16", "SOC 2 CC7", "HIPAA 164.312(b)"],
  "event-selectors": ["PCI DSS 10.2", "ISO 27001 A.8.15", "SOC 2 CC6", "SOC 2 CC7", "HIPAA 164.312(b)"],
  "integrity-verification": ["PCI DSS 10.3", "ISO 27001 A.8.15", "SOC 2 CC7", "HIPAA 164.312(b)"],
  "object-lock": ["PCI DSS 10.3", "PCI DSS 10.5.1", "ISO 27001 A.8.15", "SOC 2 CC6", "HIPAA 164.312(b)"],
  versioning: ["PCI DSS 10.3", "PCI DSS 10.5.1", "ISO 27001 A.8.15"],
  encryption: ["PCI DSS 10.3", "ISO 27001 A.8.15", "SOC 2 CC6", "HIPAA 164.312(b)"],
  "public-access-block": ["PCI DSS 10.3", "ISO 27001 A.8.15", "SOC 2 CC6"],
  "config-compliance": ["PCI DSS 10.2", "PCI DSS 10.3", "PCI DSS 10.5.1", "ISO 27001 A.8.16", "SOC 2 CC7", "SOC 2 CC8"],
  "review-records": ["PCI DSS 10.4.1", "ISO 27001 A.8.16", "SOC 2 CC7", "SOC 2 CC8", "HIPAA 164.312(b)"],
} as const satisfies Record<string, readonly ControlId[]>;

export type EvidenceItemKind = keyof typeof ITEM_CONTROLS;
