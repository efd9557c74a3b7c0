export { recruitmentRound } from './round';
