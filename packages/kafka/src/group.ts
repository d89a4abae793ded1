import { type Admin, AssignerProtocol, type PartitionAssigner, PartitionAssigners } from 'kafkajs';

/**
 * Kafka's round-robin assignment, with what a member wants the others to know of it (its HTTP
 * address) in its group metadata, where {@link groupMembers} finds it. Read at every join, so a
 * value known only later (a port chosen when listening) goes with the next one. The protocol
 * keeps the round-robin assigner's name, so members without an advert still agree with it.
 */
export function advertisingAssigner(advert: () => Readonly<Record<string, string>>): PartitionAssigner {
  return (config) => {
    const roundRobin = PartitionAssigners.roundRobin(config);
    return {
      name: roundRobin.name,
      version: roundRobin.version,
      assign: (group) => roundRobin.assign(group),
      protocol: ({ topics }) => ({
        name: roundRobin.name,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: roundRobin.version,
          topics,
          userData: Buffer.from(JSON.stringify(advert())),
        }),
      }),
    };
  };
}

/** A member of a consumer group: what it advertised, and the partitions it holds. */
export interface GroupMember {
  readonly memberId: string;
  readonly clientHost: string;
  readonly advert: Readonly<Record<string, string>>;
  readonly assignment: Readonly<Record<string, readonly number[]>>;
}

/**
 * The members of a consumer group now. While the group rebalances (`state` other than
 * `Stable`), assignments are empty or about to change.
 */
export async function groupMembers(
  admin: Admin,
  groupId: string,
): Promise<{ state: string; members: GroupMember[] }> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups.find((candidate) => candidate.groupId === groupId);
  if (!group) return { state: 'Unknown', members: [] };
  return {
    state: group.state,
    members: group.members.map((member) => ({
      memberId: member.memberId,
      clientHost: member.clientHost,
      advert: advertOf(member.memberMetadata),
      assignment:
        member.memberAssignment.length === 0
          ? {}
          : (AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {}),
    })),
  };
}

function advertOf(metadata: Buffer): Record<string, string> {
  try {
    const userData = AssignerProtocol.MemberMetadata.decode(metadata)?.userData;
    if (!userData || userData.length === 0) return {};
    const parsed: unknown = JSON.parse(userData.toString());
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    // Another client's metadata, not ours to read.
    return {};
  }
}
