export { recruitmentRound } from './round';
export { candidate } from './candidate';
