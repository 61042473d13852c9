// The Cognito group whose members are staff, read at build time from api_config.json (the CDK app,
// the local stack and the resolvers read the same value). A named import: only this value is bundled.
import { staffGroup } from '../../api_config.json';

export const STAFF_GROUP: string = staffGroup;
