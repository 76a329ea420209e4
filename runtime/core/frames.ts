// Special frames (shared_info, grant-table frames, the console and xenstore
// pages) mapped over pages of linear memory with update_va_mapping.
import { HYPERVISOR_update_va_mapping } from "./hypercall";
import { allocPage, PAGE_SHIFT } from "./pages";
import { panic } from "./panic";
import { UVMF_INVLPG } from "../xen/xen";

// x86 page-table entry bits (Intel SDM vol. 3, 4.5): present, writable, accessed, dirty.
// The host adds NX: it knows whether the CPU has it.
const PTE_FLAGS: u64 = 0x1 | 0x2 | 0x20 | 0x40;

/** Maps machine frame `mfn` over a fresh page of linear memory and returns that page. */
export function mapFrame(mfn: u64, what: string): usize {
  const page = allocPage();
  const rc = HYPERVISOR_update_va_mapping(page, (mfn << PAGE_SHIFT) | PTE_FLAGS, UVMF_INVLPG);
  if (rc < 0) panic(`boot: update_va_mapping of ${what} (mfn ${mfn}) failed: ${rc}`);
  return page;
}
