// Policy metadata beside each policy (pulumi/compliance-policies style): the controls it serves,
// shown by the engine (framework, tags) and used to generate policy/README.md.
import { Policy } from "@pulumi/policy";

export interface Controls {
  /** PCI DSS v4.0.1 requirements. */
  pci: string[];
  /** ISO/IEC 27001:2022 Annex A controls. */
  iso27001: string[];
  /** HIPAA Security Rule sections. */
  hipaa: string[];
  /** SOC 2 Trust Services Criteria. */
  soc2: string[];
}

export interface PolicyMetadata {
  /** Requirement ids of docs/requirements.md this policy enforces (M1-M5, E-rows). */
  requirements: string[];
  controls: Controls;
}

export type DocumentedPolicy<P extends Policy = Policy> = P & { metadata: PolicyMetadata };

export function documented<P extends Policy>(policy: P, metadata: PolicyMetadata): DocumentedPolicy<P> {
  const { controls } = metadata;
  return {
    ...policy,
    framework: { name: "PCI DSS", version: "4.0.1", reference: controls.pci.join(", ") },
    tags: [
      ...metadata.requirements.map((r) => `requirement:${r}`),
      ...controls.pci.map((c) => `pci-dss:${c}`),
      ...controls.iso27001.map((c) => `iso27001:${c}`),
      ...controls.hipaa.map((c) => `hipaa:${c}`),
      ...controls.soc2.map((c) => `soc2:${c}`),
    ],
    metadata,
  };
}

/** The controls every audit-trail integrity item serves (003 chapter 3-4). */
export const LOG_INTEGRITY: Controls = {
  pci: ["10.3.2", "10.3.3", "10.5.1"],
  iso27001: ["A.8.15"],
  hipaa: ["164.312(b)", "164.312(c)(1)"],
  soc2: ["CC7.2"],
};
export const LOG_PROTECTION: Controls = {
  pci: ["10.3.1", "10.3.2"],
  iso27001: ["A.8.15", "A.5.33"],
  hipaa: ["164.312(b)"],
  soc2: ["CC6.1", "CC7.2"],
};
export const LOG_RETENTION: Controls = {
  pci: ["10.5.1"],
  iso27001: ["A.8.15", "A.5.33"],
  hipaa: ["164.312(b)", "164.316(b)(2)"],
  soc2: ["CC7.2"],
};
export const LOG_COVERAGE: Controls = {
  pci: ["10.2.1", "10.2.2"],
  iso27001: ["A.8.15", "A.8.16"],
  hipaa: ["164.312(b)"],
  soc2: ["CC7.2"],
};
export const MONITORING: Controls = {
  pci: ["10.4.1", "10.7.2"],
  iso27001: ["A.8.16"],
  hipaa: ["164.308(a)(1)(ii)(D)", "164.312(b)"],
  soc2: ["CC7.2", "CC7.3"],
};
